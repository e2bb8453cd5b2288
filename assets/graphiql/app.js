// GraphiQL on the gateway: queries and mutations over HTTP, subscriptions over
// graphql-transport-ws, both on /graphql. A token goes in the Headers tab
// ({"Authorization": "Bearer ..."}, from `shahr-gateway token --role auditor`); it is also
// sent in connection_init for subscriptions. `?query=` opens the page with that document.
'use strict';
(() => {
  const endpoint = new URL('/graphql', window.location.origin);
  const socket = new URL('/graphql', window.location.origin);
  socket.protocol = window.location.protocol === 'https:' ? 'wss:' : 'ws:';
  const params = new URLSearchParams(window.location.search);
  let headers = {};
  const fetcher = GraphiQL.createFetcher({
    url: endpoint.toString(),
    subscriptionUrl: socket.toString(),
    wsConnectionParams: () => headers,
  });
  const root = ReactDOM.createRoot(document.getElementById('graphiql'));
  root.render(React.createElement(GraphiQL, {
    fetcher: (request, options) => {
      headers = (options && options.headers) || {};
      return fetcher(request, options);
    },
    query: params.get('query') || undefined,
    defaultQuery: '{\n  districts {\n    number\n    name\n  }\n}\n',
    defaultEditorToolsVisibility: true,
    shouldPersistHeaders: true,
  }));
})();
