// Composes the gateway's subgraph SDL with other subgraphs' SDLs, as a federation router's
// supergraph build does (Apollo's own composition library). Prints one JSON line: the errors
// (none when it composed) and the supergraph SDL.
// Usage: node compose.mjs NAME=URL=FILE.graphql ...
import { readFileSync } from "node:fs";
import { composeServices } from "@apollo/composition";
import { parse } from "graphql";

const services = process.argv.slice(2).map((arg) => {
  const [name, url, file] = arg.split("=");
  return { name, url, typeDefs: parse(readFileSync(file, "utf8")) };
});
const result = composeServices(services);
console.log(
  JSON.stringify({
    errors: (result.errors ?? []).map((e) => e.message),
    hints: (result.hints ?? []).length,
    supergraph: result.supergraphSdl ?? null,
  }),
);
