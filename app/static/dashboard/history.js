// Energy history: whole pages of energyHistory (root or the selected home's) for a range.
import { gql, optional } from "./api.js";

const BUCKET = "start end producedWh consumedWh chargedWh dischargedWh importedWh exportedWh netGridWh";
// Addition (tariffs and cost): money per bucket, when the server has it.
const COST = "importCost exportRevenue netCost";
// 100 buckets a page keeps a page under the server's query cost limit; 40 pages: 4,000 buckets.
const MAX_PAGES = 40;

function historyQuery(homeId, fields) {
  const args = "resolution: $resolution, from: $from, to: $to, first: 100, after: $after";
  const connection = `energyHistory(${args}) { edges { node { ${fields} } } pageInfo { hasNextPage endCursor } }`;
  const params = "$resolution: HistoryResolution!, $from: DateTime!, $to: DateTime!, $after: String";
  return homeId
    ? `query(${params}, $homeId: ID!) { scope: home(id: $homeId) { ${connection} } }`
    : `query(${params}) { ${connection} }`;
}

/** Every bucket of [from, to) (Date objects) at `resolution`, oldest first; costs when known. */
export async function loadHistory({ resolution, from, to, homeId, withCost = true }) {
  const buckets = [];
  let after = null;
  let fields = withCost ? `${BUCKET} ${COST}` : BUCKET;
  let costs = withCost;
  for (let page = 0; page < MAX_PAGES; page += 1) {
    const variables = { resolution, from: from.toISOString(), to: to.toISOString(), after };
    if (homeId) variables.homeId = homeId;
    let data = costs ? await optional(historyQuery(homeId, fields), variables) : null;
    if (!data) {
      costs = false;
      fields = BUCKET;
      data = await gql(historyQuery(homeId, fields), variables);
    }
    const connection = homeId ? data.scope.energyHistory : data.energyHistory;
    buckets.push(...connection.edges.map((e) => e.node));
    if (!connection.pageInfo.hasNextPage) break;
    after = connection.pageInfo.endCursor;
  }
  return { buckets, costs };
}
