// Hive Gateway's configuration for the city's graph: the supergraph composed from
// supergraph.yaml, and each caller's token forwarded to every subgraph (the gateway decides
// what the viewer may see). Run from this folder:
//   npx @graphql-hive/gateway supergraph supergraph.graphql
import { defineConfig } from "@graphql-hive/gateway";

export const gatewayConfig = defineConfig({
  supergraph: "./supergraph.graphql",
  propagateHeaders: {
    fromClientToSubgraphs: ({ request }) => {
      const authorization = request.headers.get("authorization");
      return authorization ? { authorization } : {};
    },
  },
});
