// A real OpenID Connect provider for tests and local trials (panva/oidc-provider), standing in for an
// eID service such as BundID. It logs in whoever the test asks for, with the `acr` the test asks for:
//   POST /__test/next-login {"sub": "...", "acr": "...", "claims": {...}, "forge": "foreign-key" | "expired" | "nonce"}
//   POST /__test/rotate-key   signs from now on with a new key (new kid), published beside the old one
//   GET  /__test/requests     {"discovery": n, "jwks": n}: how often the portal fetched them
// `forge` makes the next ID token wrong in that one way, as an attacker or a broken provider would.
// A browser that logs in a second time must log in as the same subject (oidc-provider would otherwise
// ask to end the first session); tests use a fresh browser for another person.
// Environment: OIDC_PORT (4011; 0 lets the system choose a free one), OIDC_CLIENT_ID (portal), OIDC_CLIENT_SECRET,
// OIDC_REDIRECT_URIS (comma-separated). Once it answers it prints "test OpenID provider ready at <issuer>".
import { createServer } from 'node:http';
import { createPublicKey, generateKeyPairSync, sign } from 'node:crypto';
import Provider from 'oidc-provider';

const port = Number(process.env.OIDC_PORT ?? 4011);
const clientId = process.env.OIDC_CLIENT_ID ?? 'portal';
const clientSecret = process.env.OIDC_CLIENT_SECRET ?? 'portal-secret';
const redirectUris = (process.env.OIDC_REDIRECT_URIS ?? 'http://127.0.0.1:8080/anmelden/bundid/callback').split(',');

const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
const signingKey = { ...privateKey.export({ format: 'jwk' }), kid: 'test-rs256', use: 'sig', alg: 'RS256' };

const defaultClaims = {
  given_name: 'Erika',
  family_name: 'Mustermann',
  birthdate: '1964-08-12',
  address: { street_address: 'Heidestraße 17', postal_code: '51147', locality: 'Köln', country: 'DE' },
};
const claimsBySub = new Map();
const nextLogins = [];
let forgeNextToken = null;
const requests = { discovery: 0, jwks: 0 };
/** After a rotation: the key tokens are signed with, and its kid. */
let rotated = null;

const publicJwk = (key, kid) => ({ ...createPublicKey(key).export({ format: 'jwk' }), kid, use: 'sig', alg: 'RS256' });

// Listening first, so that the issuer names the port the system chose.
const server = createServer((req, res) => serve(req, res));
await new Promise((resolve, reject) => server.once('error', reject).listen(port, '127.0.0.1', resolve));
const issuer = `http://127.0.0.1:${server.address().port}`;

const provider = new Provider(issuer, {
  clients: [{
    client_id: clientId,
    client_secret: clientSecret,
    redirect_uris: redirectUris,
    grant_types: ['authorization_code'],
    response_types: ['code'],
    token_endpoint_auth_method: 'client_secret_basic',
    id_token_signed_response_alg: 'RS256',
  }],
  jwks: { keys: [signingKey] },
  pkce: { required: () => true },
  acrValues: [
    'http://eidas.europa.eu/LoA/low', 'http://eidas.europa.eu/LoA/substantial', 'http://eidas.europa.eu/LoA/high',
    'STORK-QAA-Level-1', 'STORK-QAA-Level-2', 'STORK-QAA-Level-3', 'STORK-QAA-Level-4',
  ],
  claims: { openid: ['sub', 'acr'], profile: ['given_name', 'family_name', 'birthdate'], address: ['address'] },
  conformIdTokenClaims: false,
  features: { devInteractions: { enabled: false } },
  interactions: { url: (ctx, interaction) => `/interaction/${interaction.uid}` },
  cookies: { keys: ['test-op-cookie-key'] },
  findAccount: async (ctx, sub) => ({
    accountId: sub,
    claims: async () => ({ sub, ...defaultClaims, ...(claimsBySub.get(sub) ?? {}) }),
  }),
  renderError: async (ctx, out) => {
    ctx.type = 'json';
    ctx.body = out;
  },
});

const base64url = (value) => Buffer.from(value).toString('base64url');

/** Re-signs an ID token after breaking it in one way, or with the rotated key. */
function forge(idToken, how) {
  const [header, payload] = idToken.split('.').slice(0, 2).map((part) => JSON.parse(Buffer.from(part, 'base64url')));
  let key = privateKey;
  if (how === 'foreign-key') key = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey;
  if (how === 'rotated') {
    key = rotated.privateKey;
    header.kid = rotated.kid;
  }
  if (how === 'expired') {
    payload.iat -= 7200;
    payload.exp = Math.floor(Date.now() / 1000) - 3600;
  }
  if (how === 'nonce') payload.nonce = 'not-the-nonce-the-portal-sent';
  const input = `${base64url(JSON.stringify(header))}.${base64url(JSON.stringify(payload))}`;
  return `${input}.${sign('RSA-SHA256', Buffer.from(input), key).toString('base64url')}`;
}

provider.use(async (ctx, next) => {
  await next();
  if (ctx.path === '/token' && ctx.status === 200 && forgeNextToken && ctx.body?.id_token) {
    ctx.body = { ...ctx.body, id_token: forge(ctx.body.id_token, forgeNextToken) };
    forgeNextToken = null;
  } else if (ctx.path === '/token' && ctx.status === 200 && rotated && ctx.body?.id_token) {
    ctx.body = { ...ctx.body, id_token: forge(ctx.body.id_token, 'rotated') };
  }
});

/** Logs in the queued subject (or the default) and grants every requested scope at once. */
async function finishInteraction(req, res) {
  const { params } = await provider.interactionDetails(req, res);
  const login = nextLogins.shift() ?? {};
  const sub = login.sub ?? process.env.OIDC_DEFAULT_SUB ?? 'erika';
  const requestedAcr = String(params.acr_values ?? '').split(' ')[0];
  const acr = login.acr ?? (requestedAcr || process.env.OIDC_DEFAULT_ACR || 'http://eidas.europa.eu/LoA/substantial');
  if (login.claims) claimsBySub.set(sub, login.claims);
  forgeNextToken = login.forge ?? null;
  const grant = new provider.Grant({ accountId: sub, clientId: params.client_id });
  grant.addOIDCScope(String(params.scope));
  const grantId = await grant.save();
  await provider.interactionFinished(req, res, { login: { accountId: sub, acr }, consent: { grantId } }, {
    mergeWithLastSubmission: false,
  });
}

const handle = provider.callback();
async function serve(req, res) {
  const path = new URL(req.url, issuer).pathname;
  try {
    if (path === '/.well-known/openid-configuration') requests.discovery += 1;
    if (path === '/jwks') requests.jwks += 1;
    if (req.method === 'GET' && path === '/__test/requests') {
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(requests));
    } else if (req.method === 'POST' && path === '/__test/rotate-key') {
      rotated = { privateKey: generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey, kid: 'test-rs256-2' };
      res.writeHead(204).end();
    } else if (req.method === 'GET' && path === '/jwks' && rotated) {
      const keys = [publicJwk(privateKey, signingKey.kid), publicJwk(rotated.privateKey, rotated.kid)];
      res.writeHead(200, { 'content-type': 'application/jwk-set+json' }).end(JSON.stringify({ keys }));
    } else if (req.method === 'POST' && path === '/__test/next-login') {
      let body = '';
      for await (const chunk of req) body += chunk;
      nextLogins.push(JSON.parse(body || '{}'));
      res.writeHead(204).end();
    } else if (req.method === 'GET' && path.startsWith('/interaction/')) {
      await finishInteraction(req, res);
    } else {
      handle(req, res);
    }
  } catch (error) {
    res.writeHead(500, { 'content-type': 'text/plain' }).end(String(error));
  }
}
console.log(`test OpenID provider ready at ${issuer}`);
