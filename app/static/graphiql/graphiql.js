// GraphiQL for HEMS: the feature set of Strawberry's page (explorer, headers editor,
// subscriptions over graphql-transport-ws, the query shared in the URL), with every asset
// served by HEMS itself.
/* global React, ReactDOM, GraphiQL, GraphiQLPluginExplorer */
"use strict";

const EXAMPLE_QUERY = `# Welcome to HEMS's GraphiQL.
#
# Get a token with registerUser or loginUser, then add it in the Headers tab below:
#   {"Authorization": "Bearer <token>"}
#
# Run: Ctrl-Enter. Auto complete: Ctrl-Space.

query {
  me { username }
  energyStats { currentProduction currentConsumption storageFlow netGridFlow timestamp }
}
`;

const parameters = {};
for (const entry of window.location.search.slice(1).split("&")) {
  const eq = entry.indexOf("=");
  if (eq >= 0) {
    parameters[decodeURIComponent(entry.slice(0, eq))] = decodeURIComponent(entry.slice(eq + 1));
  }
}

function updateURL(data) {
  Object.assign(parameters, data);
  const search = Object.keys(parameters)
    .filter((key) => Boolean(parameters[key]))
    .map((key) => encodeURIComponent(key) + "=" + encodeURIComponent(parameters[key]))
    .join("&");
  history.replaceState(null, "", "?" + search);
}

const fetchURL = window.location.href.split("?")[0];
const wsURL = new URL(fetchURL);
wsURL.protocol = wsURL.protocol === "https:" ? "wss:" : "ws:";
wsURL.hash = "";

// GraphiQL merges the headers editor's entries into the websocket's connection_init payload,
// so {"Authorization": "Bearer ..."} authenticates subscriptions too.
const fetcher = GraphiQL.createFetcher({ url: fetchURL, subscriptionUrl: wsURL.toString() });

function HemsGraphiQL() {
  const [query, setQuery] = React.useState(parameters.q || EXAMPLE_QUERY);
  const [variables, setVariables] = React.useState(parameters.variables);
  const explorer = React.useMemo(() => GraphiQLPluginExplorer.explorerPlugin(), []);
  return React.createElement(GraphiQL, {
    fetcher,
    defaultEditorToolsVisibility: true,
    plugins: [explorer],
    query,
    variables,
    onEditQuery: (value) => {
      setQuery(value);
      updateURL({ q: value });
    },
    onEditVariables: (value) => {
      setVariables(value);
      updateURL({ variables: value });
    },
    inputValueDeprecation: true,
    isHeadersEditorEnabled: true,
    shouldPersistHeaders: true,
  });
}

ReactDOM.createRoot(document.getElementById("graphiql")).render(
  React.createElement(HemsGraphiQL),
);
