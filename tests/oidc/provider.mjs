// An OpenID Connect provider for the gateway's tests: the certified `oidc-provider` package,
// issuing JWT access tokens (client credentials) with the claims a municipal identity
// provider would add. It listens on 127.0.0.1 (a free port), prints one JSON line
// `{"issuer": ...}` when ready, and offers test-only controls:
//   POST /test/rotate   a new signing key is published first (tokens are signed with it);
//                       the previous keys stay published
//   POST /test/retire   only the newest key stays published
//   GET  /test/stats    {"jwksFetches": n}
import http from 'node:http';
import { generateKeyPairSync, randomUUID } from 'node:crypto';
import Provider from 'oidc-provider';

const AUDIENCE = process.env.OIDC_AUDIENCE || 'shahr-gateway';

// Client apps and the claims their tokens carry (Keycloak-like places, on purpose).
const CLIENTS = {
  'secretary-app': {
    realm_access: { roles: ['offline_access', 'commission_secretary'] },
    nid: '0076229645',
    org: { district: '9', commission: 9 },
  },
  'auditor-app': {
    realm_access: { roles: ['auditor'] },
  },
};

function signingKey() {
  const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  return { ...privateKey.export({ format: 'jwk' }), kid: randomUUID(), alg: 'RS256', use: 'sig' };
}

let keys = [signingKey()];
let jwksFetches = 0;
let provider;
let issuer;

function build() {
  provider = new Provider(issuer, {
    clients: Object.keys(CLIENTS).map((id) => ({
      client_id: id,
      client_secret: `${id}-secret`,
      grant_types: ['client_credentials'],
      redirect_uris: [],
      response_types: [],
    })),
    jwks: { keys },
    features: {
      devInteractions: { enabled: false },
      clientCredentials: { enabled: true },
      resourceIndicators: {
        enabled: true,
        defaultResource: () => `urn:${AUDIENCE}`,
        useGrantedResource: () => true,
        getResourceServerInfo: () => ({
          scope: 'api',
          audience: AUDIENCE,
          accessTokenFormat: 'jwt',
          accessTokenTTL: 600,
          jwt: { sign: { alg: 'RS256' } },
        }),
      },
    },
    extraTokenClaims: (ctx, token) => CLIENTS[token.clientId] || {},
  });
  provider.proxy = false;
}

const server = http.createServer((req, res) => {
  if (req.url === '/test/rotate' && req.method === 'POST') {
    keys = [signingKey(), ...keys];
    build();
    res.writeHead(200, { 'content-type': 'application/json' });
    return res.end(JSON.stringify({ kid: keys[0].kid }));
  }
  if (req.url === '/test/retire' && req.method === 'POST') {
    keys = [keys[0]];
    build();
    res.writeHead(200, { 'content-type': 'application/json' });
    return res.end(JSON.stringify({ kid: keys[0].kid }));
  }
  if (req.url === '/test/stats') {
    res.writeHead(200, { 'content-type': 'application/json' });
    return res.end(JSON.stringify({ jwksFetches }));
  }
  if (req.url.startsWith('/jwks')) jwksFetches += 1;
  return provider.callback()(req, res);
});

server.listen(0, '127.0.0.1', () => {
  issuer = `http://127.0.0.1:${server.address().port}`;
  build();
  process.stdout.write(`${JSON.stringify({ issuer })}\n`);
});

process.on('SIGTERM', () => process.exit(0));
