// Apollo Client with its persisted-query link against the gateway: the same query twice.
// Prints one JSON line: the two results and, per HTTP call, whether it carried the document.
// Usage: node apq.mjs GRAPHQL_URL [TOKEN]
import { ApolloClient, InMemoryCache, HttpLink, gql } from "@apollo/client/core/index.js";
import { createPersistedQueryLink } from "@apollo/client/link/persisted-queries/index.js";
import { createHash } from "node:crypto";

const [url, token] = process.argv.slice(2);
const calls = [];
const recordingFetch = async (uri, options) => {
  const body = options.body ? JSON.parse(options.body) : {};
  const response = await fetch(uri, options);
  calls.push({ withDocument: typeof body.query === "string", status: response.status });
  return response;
};
const sha256 = (text) => createHash("sha256").update(text).digest("hex");
const link = createPersistedQueryLink({ sha256 }).concat(
  new HttpLink({
    uri: url,
    fetch: recordingFetch,
    headers: token ? { authorization: `Bearer ${token}` } : {},
  }),
);
const client = new ApolloClient({
  link,
  cache: new InMemoryCache(),
  defaultOptions: { query: { fetchPolicy: "no-cache" } },
});
const query = gql`
  query DistrictNames {
    districts {
      number
      name
    }
  }
`;
try {
  const first = await client.query({ query });
  const second = await client.query({ query });
  console.log(JSON.stringify({ first: first.data, second: second.data, calls }));
} catch (error) {
  console.log(JSON.stringify({ error: String(error), calls }));
}
