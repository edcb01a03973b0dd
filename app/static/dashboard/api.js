// HEMS's GraphQL API as the dashboard uses it: one session (tokens in sessionStorage, never
// in the URL), POST /graphql with the bearer token, and one graphql-transport-ws connection
// for the live subscriptions.
import { createClient } from "/static/vendor/graphql-ws/client.mjs";

const STORAGE_KEY = "hems.session";
const ENDPOINT = "/graphql";

/** A GraphQL answer with errors; `codes` holds their extensions.code values. */
export class GraphQLError extends Error {
  constructor(errors) {
    super(errors.map((e) => e.message).join("; "));
    this.errors = errors;
    this.codes = errors.map((e) => (e.extensions && e.extensions.code) || null);
  }
  has(code) {
    return this.codes.includes(code);
  }
  /** The document does not validate against the served schema (e.g. an unknown field). */
  get invalidDocument() {
    return this.has("GRAPHQL_VALIDATION_FAILED") || this.has("GRAPHQL_PARSE_FAILED");
  }
}

/** The signed-in session: {token, expiresAt, user, refreshToken?, refreshExpiresAt?}. */
export const session = {
  current: null,
  load() {
    try {
      const saved = JSON.parse(sessionStorage.getItem(STORAGE_KEY) || "null");
      this.current = saved && saved.token ? saved : null;
    } catch {
      this.current = null;
    }
    return this.current;
  },
  save(payload) {
    this.current = payload;
    sessionStorage.setItem(STORAGE_KEY, JSON.stringify(payload));
  },
  clear() {
    this.current = null;
    sessionStorage.removeItem(STORAGE_KEY);
  },
  get token() {
    return this.current ? this.current.token : null;
  },
};

async function post(query, variables, token) {
  const headers = { "content-type": "application/json", accept: "application/json" };
  if (token) headers.authorization = `Bearer ${token}`;
  const response = await fetch(ENDPOINT, {
    method: "POST",
    headers,
    body: JSON.stringify({ query, variables: variables || {} }),
    credentials: "omit",
  });
  let body;
  try {
    body = await response.json();
  } catch {
    throw new GraphQLError([{ message: `HTTP ${response.status}`, extensions: {} }]);
  }
  if (body.errors && body.errors.length) throw new GraphQLError(body.errors);
  return body.data;
}

/** Run an operation as the signed-in user; one renewal and retry when the token expired. */
export async function gql(query, variables) {
  try {
    return await post(query, variables, session.token);
  } catch (error) {
    if (error instanceof GraphQLError && error.has("UNAUTHENTICATED") && (await renew())) {
      return post(query, variables, session.token);
    }
    throw error;
  }
}

/**
 * An operation that uses fields the server may not have (API extensions not deployed yet):
 * its data, or null when the server does not know the document. Other errors propagate.
 */
export async function optional(query, variables) {
  try {
    return await gql(query, variables);
  } catch (error) {
    if (error instanceof GraphQLError && error.invalidDocument) return null;
    throw error;
  }
}

// --- sign-in, registration, renewal --------------------------------------------------

const USER = "user { id username }";
// Addition (refresh tokens, API.md "Accounts and tokens"): asked for when the server has it.
const REFRESH = "refreshToken refreshExpiresAt";

async function authenticate(mutation, variables) {
  const build = (extra) => `mutation($username: String!, $password: String!${
    mutation === "registerUser" ? ", $timezone: String" : ""
  }) { auth: ${mutation}(username: $username, password: $password${
    mutation === "registerUser" ? ", timezone: $timezone" : ""
  }) { token expiresAt ${extra} ${USER} } }`;
  let data;
  try {
    data = await post(build(REFRESH), variables, null);
  } catch (error) {
    // A document the server cannot validate was not executed: nothing was written.
    if (!(error instanceof GraphQLError && error.invalidDocument)) throw error;
    data = await post(build(""), variables, null);
  }
  session.save(data.auth);
  scheduleRenewal();
  return data.auth;
}

export function signIn(username, password) {
  return authenticate("loginUser", { username, password });
}

export function register(username, password) {
  const timezone = Intl.DateTimeFormat().resolvedOptions().timeZone || null;
  return authenticate("registerUser", { username, password, timezone });
}

let renewTimer = null;
let renewing = null;

/** Addition (refresh tokens): a new access token from the refresh token; false without one. */
export function renew() {
  const refreshToken = session.current && session.current.refreshToken;
  if (!refreshToken) return Promise.resolve(false);
  if (!renewing) {
    renewing = post(
      `mutation($refreshToken: String!) { auth: refreshToken(refreshToken: $refreshToken) {
        token expiresAt ${REFRESH} ${USER} } }`,
      { refreshToken },
      null,
    )
      .then((data) => {
        session.save(data.auth);
        scheduleRenewal();
        return true;
      })
      .catch(() => false)
      .finally(() => {
        renewing = null;
      });
  }
  return renewing;
}

/** Renew a minute before the access token expires (only when a refresh token exists). */
export function scheduleRenewal() {
  clearTimeout(renewTimer);
  const current = session.current;
  if (!current || !current.refreshToken) return;
  const due = new Date(current.expiresAt).getTime() - Date.now() - 60_000;
  renewTimer = setTimeout(renew, Math.max(due, 5_000));
}

export async function signOut() {
  clearTimeout(renewTimer);
  const refreshToken = session.current && session.current.refreshToken;
  if (refreshToken) {
    // Addition (accounts): revoke the refresh token; signing out locally happens regardless.
    await optional("mutation($t: String!) { logout(refreshToken: $t) }", { t: refreshToken }).catch(
      () => null,
    );
  }
  session.clear();
  closeLive();
}

// --- live subscriptions ----------------------------------------------------------------

let client = null;

/** The one websocket (graphql-transport-ws); the token goes in connection_init. */
function liveClient(onState) {
  if (!client) {
    const url = new URL(ENDPOINT, window.location.href);
    url.protocol = url.protocol === "https:" ? "wss:" : "ws:";
    client = createClient({
      url: url.toString(),
      connectionParams: () => ({ authorization: `Bearer ${session.token}` }),
      retryAttempts: 1_000_000,
      shouldRetry: () => true,
      on: {
        connected: () => onState("live"),
        closed: () => onState("reconnecting"),
      },
    });
  }
  return client;
}

/** Subscribe; `onData(data)` per message, `onError(error)` once. Returns the unsubscribe. */
export function subscribe(query, variables, { onData, onError, onState }) {
  return liveClient(onState || (() => {})).subscribe(
    { query, variables },
    {
      next: (message) => {
        if (message.errors && message.errors.length) onError(new GraphQLError(message.errors));
        else onData(message.data);
      },
      error: (error) => onError(error),
      complete: () => {},
    },
  );
}

export function closeLive() {
  if (client) {
    client.dispose();
    client = null;
  }
}
