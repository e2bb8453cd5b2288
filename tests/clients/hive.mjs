// Hive Gateway (the federation router) over a supergraph, forwarding each caller's
// Authorization header to the subgraphs. Prints {"port": N} once it listens.
// Usage: node hive.mjs SUPERGRAPH_FILE
import { readFileSync } from "node:fs";
import { createServer } from "node:http";
import { createGatewayRuntime } from "@graphql-hive/gateway";

const supergraph = readFileSync(process.argv[2], "utf8");
const gateway = createGatewayRuntime({
  supergraph: () => supergraph,
  propagateHeaders: {
    fromClientToSubgraphs: ({ request }) => {
      const authorization = request.headers.get("authorization");
      return authorization ? { authorization } : {};
    },
  },
  logging: "error",
});
const server = createServer(gateway);
server.listen(0, "127.0.0.1", () => {
  console.log(JSON.stringify({ port: server.address().port }));
});
process.on("SIGTERM", () => server.close(() => process.exit(0)));
