// A real OpenID Connect provider (oidc-provider) for gatehouse's integration
// tests: one client, code flow with PKCE, no login UI, plus /_test/ endpoints
// that pick the account and tamper with the next ID token.
// Usage: node provider.mjs --port P --cert CERT.pem --key KEY.pem --client-id ID
//   --client-secret SECRET --redirect-uri URI [--accounts FILE.json] [--alg RS256|ES256]
import { createHmac, generateKeyPairSync, randomBytes, sign as cryptoSign } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createServer } from 'node:https';
import { parseArgs } from 'node:util';
import Provider from 'oidc-provider';

// oidc-provider prints its notices with console.info; stdout carries only the ready line.
console.info = console.error;

const { values: opt } = parseArgs({
  options: Object.fromEntries(['port', 'cert', 'key', 'client-id', 'client-secret',
    'redirect-uri', 'accounts', 'alg'].map((name) => [name, { type: 'string' }])),
});
function usage(problem) {
  console.error(`provider.mjs: ${problem}`);
  process.exit(2);
}
for (const name of ['port', 'cert', 'key', 'client-id', 'client-secret', 'redirect-uri']) {
  if (!opt[name]) usage(`--${name} is required`);
}
const alg = opt.alg ?? 'RS256';
if (alg !== 'RS256' && alg !== 'ES256') usage('--alg must be RS256 or ES256');
const issuer = `https://127.0.0.1:${opt.port}`;
const clientId = opt['client-id'];

// Account name -> claims (sub, name, preferred_username, email, groups, amr).
const accounts = opt.accounts ? JSON.parse(readFileSync(opt.accounts, 'utf8')) : {
  alice: {
    sub: 'u-alice-1', preferred_username: 'alice', name: 'Alice Example',
    email: 'alice@example.com', groups: ['gh-operators'], amr: ['pwd', 'otp'],
  },
};

const newKey = () => (alg === 'ES256'
  ? generateKeyPairSync('ec', { namedCurve: 'P-256' })
  : generateKeyPairSync('rsa', { modulusLength: 2048 })).privateKey;
const signingKey = newKey();
const signingJwk = {
  ...signingKey.export({ format: 'jwk' }), kid: alg === 'ES256' ? 'test-ec' : 'test-rsa', alg, use: 'sig',
};

// --- JWT helpers for the tamper modes -----------------------------------
const encode = (value) => Buffer.from(JSON.stringify(value)).toString('base64url');
const decode = (part) => JSON.parse(Buffer.from(part, 'base64url'));

function signJwt(header, claims, key) {
  const input = `${encode(header)}.${encode(claims)}`;
  const signature = header.alg === 'HS256'
    ? createHmac('sha256', key).update(input).digest()
    : cryptoSign('sha256', Buffer.from(input), { key, dsaEncoding: 'ieee-p1363' });
  return `${input}.${signature.toString('base64url')}`;
}

// Each mode turns the issued id_token into a token the relying party must refuse.
const now = () => Math.floor(Date.now() / 1000);
const TAMPERS = {
  bad_signature: (token) => {
    const i = Math.floor(token.length - token.split('.')[2].length / 2);
    return token.slice(0, i) + (token[i] === 'A' ? 'B' : 'A') + token.slice(i + 1);
  },
  unknown_key: (token, h, c) => signJwt(h, c, newKey()),
  aud: (token, h, c) => signJwt(h, { ...c, aud: 'someone-else' }, signingKey),
  azp: (token, h, c) => signJwt(h, { ...c, aud: [clientId, 'someone-else'], azp: 'someone-else' }, signingKey),
  iss: (token, h, c) => signJwt(h, { ...c, iss: 'https://evil.example' }, signingKey),
  expired: (token, h, c) => signJwt(h, { ...c, exp: now() - 600, iat: now() - 1200 }, signingKey),
  nonce: (token, h, c) => signJwt(h, { ...c, nonce: randomBytes(16).toString('base64url') }, signingKey),
  alg_none: (token, h) => `${encode({ alg: 'none', kid: h.kid })}.${token.split('.')[1]}.`,
  hs256: (token, h, c) => signJwt({ ...h, alg: 'HS256' }, c, opt['client-secret']),
  no_amr: (token, h, { amr, ...c }) => signJwt(h, c, signingKey),
};

// --- the provider ---------------------------------------------------------
const provider = new Provider(issuer, {
  clients: [{
    client_id: clientId,
    client_secret: opt['client-secret'],
    redirect_uris: [opt['redirect-uri']],
    response_types: ['code'],
    grant_types: ['authorization_code'],
    token_endpoint_auth_method: 'client_secret_basic',
    id_token_signed_response_alg: alg,
  }],
  jwks: { keys: [signingJwk] },
  responseTypes: ['code'],
  clientAuthMethods: ['client_secret_basic'],
  pkce: { required: () => true }, // v9 only knows S256
  scopes: ['openid'], // plus the scopes named in claims; no offline_access
  // amr rides with openid: a claim reaches a token only through a granted scope.
  claims: {
    openid: ['sub', 'amr'], profile: ['name', 'preferred_username'], email: ['email'], groups: ['groups'],
  },
  // Scope claims go in the ID token itself (the relying party never calls userinfo).
  conformIdTokenClaims: false,
  ttl: { AccessToken: 600, Grant: 600, IdToken: 600, Interaction: 600, Session: 600 },
  features: { devInteractions: { enabled: false }, userinfo: { enabled: false } },
  // The accountId is the subject; amr comes from the login, not from the claims.
  async findAccount(ctx, sub) {
    const entry = Object.values(accounts).find((claims) => claims.sub === sub);
    if (!entry) return undefined;
    const { amr, ...claims } = entry;
    return { accountId: sub, claims: () => claims };
  },
  // Automatic consent: grant whatever OpenID scopes the request asks for.
  async loadExistingGrant(ctx) {
    const grant = new provider.Grant({ clientId: ctx.oidc.client.clientId, accountId: ctx.oidc.session.accountId });
    grant.addOIDCScope(ctx.oidc.requestParamOIDCScopes);
    await grant.save();
    return grant;
  },
  async renderError(ctx, out) {
    ctx.type = 'json';
    ctx.body = out;
  },
});
for (const event of ['server_error', 'authorization.error', 'grant.error', 'jwks.error', 'discovery.error']) {
  provider.on(event, (ctx, err) => console.error(`${event}: ${err.message} ${err.error_description ?? ''}`));
}

// --- test hooks (Koa middleware in front of the provider's routes) ------
let nextAccount = Object.keys(accounts)[0];
let tamper;
let lastAuth = {};
const idTokens = [];

async function readJson(req) {
  const chunks = [];
  for await (const chunk of req) chunks.push(chunk);
  return chunks.length ? JSON.parse(Buffer.concat(chunks)) : {};
}

provider.use(async (ctx, next) => {
  const { method, path } = ctx;
  if (method === 'POST' && path === '/_test/next') {
    const body = await readJson(ctx.req);
    if (body.account !== undefined && !(body.account in accounts)) ctx.throw(400, `unknown account ${body.account}`);
    if (body.tamper && !(body.tamper in TAMPERS)) ctx.throw(400, `unknown tamper mode ${body.tamper}`);
    nextAccount = body.account ?? nextAccount;
    tamper = body.tamper || undefined;
    ctx.body = { account: nextAccount, tamper: tamper ?? 'none' };
    return;
  }
  if (method === 'GET' && path === '/_test/last-auth') { ctx.body = lastAuth; return; }
  if (method === 'GET' && path === '/_test/tokens') { ctx.body = idTokens; return; }

  // The login "page": sign in the login_hint account, else the chosen one, at once.
  if (method === 'GET' && /^\/interaction\/[^/]+$/.test(path)) {
    const { prompt, params } = await provider.interactionDetails(ctx.req, ctx.res);
    if (prompt.name !== 'login') ctx.throw(500, `unexpected prompt ${prompt.name}`);
    const { sub, amr } = accounts[params.login_hint in accounts ? params.login_hint : nextAccount];
    ctx.redirect(await provider.interactionResult(ctx.req, ctx.res, { login: { accountId: sub, amr } }));
    return;
  }

  if (path === '/auth' || path.startsWith('/auth/')) {
    if (path === '/auth') lastAuth = { ...ctx.query };
    // Every authorization request starts logged out, so each one goes through the
    // login above even when the caller still holds the session cookie of an earlier one.
    ctx.req.headers.cookie = ctx.req.headers.cookie?.split(/;\s*/)
      .filter((cookie) => !cookie.startsWith('_session')).join('; ');
  }

  await next();

  if (path === '/token' && ctx.body?.id_token) {
    if (tamper) {
      const [header, claims] = ctx.body.id_token.split('.', 2).map(decode);
      ctx.body.id_token = TAMPERS[tamper](ctx.body.id_token, header, claims);
      tamper = undefined;
    }
    idTokens.push(ctx.body.id_token);
  }
});

const server = createServer({ cert: readFileSync(opt.cert), key: readFileSync(opt.key) }, provider.callback());
server.on('error', (err) => { console.error(err); process.exit(1); });
server.listen(Number(opt.port), '127.0.0.1', () => process.stdout.write(`ready ${issuer}\n`));
