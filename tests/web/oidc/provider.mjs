// A real OpenID Connect provider for the sign-in tests: the `oidc-provider` package (a certified
// implementation) on 127.0.0.1, with one confidential client that must use PKCE.
//
// Environment: PORT, ISSUER, CLIENT_ID, CLIENT_SECRET, REDIRECT_URI.
// The tests steer it through two routes of its own (never part of a real provider):
//   POST /_test/account  {"sub": ..., "claims": {...}}  the person who signs in at the next login
//   POST /_test/tamper   {"iss": ...} or {"aud": ...} or {"nonce": ...} or {}  claims to overwrite in the
//                        next ID tokens, re-signed with the provider's own key (a forged token that only
//                        the relying party's checks can catch)
// Interactions (login and consent) complete at once as the person set by /_test/account.
import Provider from 'oidc-provider';
import { SignJWT, decodeJwt, exportJWK, generateKeyPair } from 'jose';

const { PORT, ISSUER, CLIENT_ID, CLIENT_SECRET, REDIRECT_URI } = process.env;
const { privateKey } = await generateKeyPair('RS256', { extractable: true });
const signingKey = { ...(await exportJWK(privateKey)), kid: 'test-signing-key', alg: 'RS256', use: 'sig' };

const accounts = new Map();
let nextSub = null;
let tamper = {};

const provider = new Provider(ISSUER, {
  clients: [{
    client_id: CLIENT_ID,
    client_secret: CLIENT_SECRET,
    redirect_uris: [REDIRECT_URI],
    response_types: ['code'],
    grant_types: ['authorization_code'],
    token_endpoint_auth_method: 'client_secret_basic',
  }],
  jwks: { keys: [signingKey] },
  cookies: { keys: ['sign-in-tests-cookie-key'] },
  pkce: { required: () => true },
  scopes: ['openid', 'email', 'profile', 'groups'],
  claims: {
    openid: ['sub'],
    email: ['email', 'email_verified'],
    profile: ['name', 'preferred_username'],
    groups: ['groups'],
  },
  features: { devInteractions: { enabled: false } },
  interactions: { url: (ctx, interaction) => `/interaction/${interaction.uid}` },
  async findAccount(ctx, sub) {
    const claims = accounts.get(sub);
    if (!claims) return undefined;
    return { accountId: sub, claims: async () => ({ ...claims, sub }) };
  },
});

async function readJson(req) {
  const chunks = [];
  for await (const chunk of req) chunks.push(chunk);
  return JSON.parse(Buffer.concat(chunks).toString() || '{}');
}

provider.use(async (ctx, next) => {
  if (ctx.method === 'POST' && ctx.path === '/_test/account') {
    const { sub, claims } = await readJson(ctx.req);
    accounts.set(sub, claims);
    nextSub = sub;
    ctx.status = 204;
    return;
  }
  if (ctx.method === 'POST' && ctx.path === '/_test/tamper') {
    tamper = await readJson(ctx.req);
    ctx.status = 204;
    return;
  }
  if (ctx.method === 'GET' && ctx.path.startsWith('/interaction/')) {
    const details = await provider.interactionDetails(ctx.req, ctx.res);
    const clientId = details.params.client_id;
    const grant = details.grantId ? await provider.Grant.find(details.grantId) : new provider.Grant({ accountId: nextSub, clientId });
    grant.addOIDCScope(details.params.scope);
    const grantId = await grant.save();
    const returnTo = await provider.interactionResult(
      ctx.req, ctx.res, { login: { accountId: nextSub }, consent: { grantId } }, { mergeWithLastSubmission: false },
    );
    ctx.status = 303;
    ctx.redirect(returnTo);
    return;
  }
  await next();
  if (ctx.path === '/token' && ctx.status === 200 && ctx.body && ctx.body.id_token && Object.keys(tamper).length) {
    const claims = { ...decodeJwt(ctx.body.id_token), ...tamper };
    ctx.body.id_token = await new SignJWT(claims)
      .setProtectedHeader({ alg: 'RS256', kid: signingKey.kid })
      .sign(privateKey);
  }
});

provider.listen(Number(PORT), '127.0.0.1', () => {
  console.log(`oidc-provider listening on ${ISSUER}`);
});
