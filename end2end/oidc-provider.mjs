// A real OpenID Connect provider for the tests (node-oidc-provider, from npm): authorization
// code with PKCE required, one confidential client (Sharepack), and its development login and
// consent pages, which accept any login name. People's `groups` come from GROUPS below and go
// into the ID token. For the tampered-token test, ID tokens of mallory@example.com leave the
// token endpoint with a broken signature.
//
// Usage: node oidc-provider.mjs PORT (prints "oidc provider ready" when up). Test portals
// listen on ports of their own, so any `http://127.0.0.1:<port>/auth/oidc/callback` is a
// registered redirect; every other is refused, as a provider refuses unregistered ones.
import Provider from 'oidc-provider';

const [port] = process.argv.slice(2);
const CALLBACK = /^http:\/\/127\.0\.0\.1:\d+\/auth\/oidc\/callback$/;
const issuer = `http://127.0.0.1:${port}`;
const GROUPS = {
  'olga@example.com': ['sp-legal-requesters'],
  'otto@example.com': ['sp-auditors', 'unrelated-group'],
  'omar@example.com': ['unrelated-group'],
};
const TAMPERED = 'mallory@example.com';

const provider = new Provider(issuer, {
  clients: [{
    client_id: 'sharepack',
    client_secret: 'sharepack-test-secret',
    redirect_uris: ['http://127.0.0.1:1/auth/oidc/callback'],
    grant_types: ['authorization_code'],
    response_types: ['code'],
    token_endpoint_auth_method: 'client_secret_basic',
  }],
  pkce: { required: () => true },
  claims: { openid: ['sub'], email: ['email', 'email_verified'], profile: ['name'], groups: ['groups'] },
  // Scope claims in the ID token itself, as Entra ID does with `groups`.
  conformIdTokenClaims: false,
  findAccount: async (ctx, id) => ({
    accountId: id,
    claims: async () => ({ sub: id, email: id, email_verified: true, name: id.split('@')[0], groups: GROUPS[id] || [] }),
  }),
  features: { devInteractions: { enabled: true } },
  ttl: { Session: 60, Grant: 60 },
});
provider.proxy = false;
provider.Client.prototype.redirectUriAllowed = function redirectUriAllowed(uri) {
  return CALLBACK.test(uri);
};

provider.use(async (ctx, next) => {
  await next();
  if (ctx.path === '/token' && ctx.body && ctx.body.id_token) {
    const [head, payload, signature] = ctx.body.id_token.split('.');
    if (JSON.parse(Buffer.from(payload, 'base64url').toString()).sub !== TAMPERED) return;
    const flipped = signature[0] === 'A' ? `B${signature.slice(1)}` : `A${signature.slice(1)}`;
    ctx.body = { ...ctx.body, id_token: [head, payload, flipped].join('.') };
  }
});

provider.on('server_error', (ctx, error) => console.error('server_error', error));
provider.listen(Number(port), '127.0.0.1', () => console.log(`oidc provider ready at ${issuer}`));
