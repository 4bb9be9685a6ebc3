import { createHash, createSign, generateKeyPairSync, randomBytes, KeyObject } from 'node:crypto';
import { createServer, IncomingMessage, Server, ServerResponse } from 'node:http';
import { AddressInfo } from 'node:net';

/**
 * A real OpenID Connect provider for the browser tests, on a local port: discovery, JWKS,
 * /authorize (signs in whoever the test names and redirects straight back with a code) and
 * /token (checks the client's basic auth, the redirect URL and the PKCE verifier, then
 * answers with an ID token signed RS256 by a key made when it starts).
 */
export const CLIENT_ID = 'mandate-e2e-client';
export const CLIENT_SECRET = 'e2e-provider-secret-0123456789';

export interface Person {
  email: string;
  name: string;
}

interface Grant {
  person: Person;
  nonce?: string;
  challenge: string;
  redirectUri: string;
}

const b64url = (b: Buffer | string) => Buffer.from(b).toString('base64url');

export class OidcProvider {
  issuer = '';
  private server?: Server;
  private readonly key: KeyObject;
  private readonly publicJwk: Record<string, unknown>;
  private readonly codes = new Map<string, Grant>();
  next?: Person;

  constructor() {
    const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
    this.key = privateKey;
    this.publicJwk = { ...publicKey.export({ format: 'jwk' }), kid: 'e2e-key', use: 'sig', alg: 'RS256' };
  }

  async start(): Promise<void> {
    this.server = createServer((req, res) => this.handle(req, res));
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
    this.issuer = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  async stop(): Promise<void> {
    await new Promise<void>((resolve) => this.server?.close(() => resolve()));
  }

  private json(res: ServerResponse, status: number, body: unknown) {
    res.writeHead(status, { 'content-type': 'application/json' });
    res.end(JSON.stringify(body));
  }

  private async handle(req: IncomingMessage, res: ServerResponse) {
    const url = new URL(req.url ?? '/', this.issuer);
    if (url.pathname === '/.well-known/openid-configuration') {
      return this.json(res, 200, {
        issuer: this.issuer,
        authorization_endpoint: `${this.issuer}/authorize`,
        token_endpoint: `${this.issuer}/token`,
        jwks_uri: `${this.issuer}/jwks`,
        response_types_supported: ['code'],
        subject_types_supported: ['public'],
        id_token_signing_alg_values_supported: ['RS256'],
        token_endpoint_auth_methods_supported: ['client_secret_basic'],
      });
    }
    if (url.pathname === '/jwks') {
      return this.json(res, 200, { keys: [this.publicJwk] });
    }
    if (url.pathname === '/authorize') {
      const q = url.searchParams;
      const person = this.next;
      if (q.get('client_id') !== CLIENT_ID || q.get('code_challenge_method') !== 'S256' || !person) {
        return this.json(res, 400, { error: 'invalid_request' });
      }
      const code = b64url(randomBytes(24));
      this.codes.set(code, {
        person,
        nonce: q.get('nonce') ?? undefined,
        challenge: q.get('code_challenge') ?? '',
        redirectUri: q.get('redirect_uri') ?? '',
      });
      const back = new URL(q.get('redirect_uri') ?? '');
      back.searchParams.set('code', code);
      back.searchParams.set('state', q.get('state') ?? '');
      res.writeHead(303, { location: back.toString() });
      return res.end();
    }
    if (url.pathname === '/token' && req.method === 'POST') {
      const body = await new Promise<string>((resolve) => {
        let data = '';
        req.on('data', (c) => (data += c));
        req.on('end', () => resolve(data));
      });
      const form = new URLSearchParams(body);
      const basic = `Basic ${Buffer.from(`${encodeURIComponent(CLIENT_ID)}:${encodeURIComponent(CLIENT_SECRET)}`).toString('base64')}`;
      if (req.headers.authorization !== basic) return this.json(res, 401, { error: 'invalid_client' });
      const grant = this.codes.get(form.get('code') ?? '');
      this.codes.delete(form.get('code') ?? '');
      const verifier = form.get('code_verifier') ?? '';
      if (!grant || grant.redirectUri !== form.get('redirect_uri') || b64url(createHash('sha256').update(verifier).digest()) !== grant.challenge) {
        return this.json(res, 400, { error: 'invalid_grant' });
      }
      const now = Math.floor(Date.now() / 1000);
      const claims = {
        iss: this.issuer,
        sub: `sub-${grant.person.email}`,
        aud: CLIENT_ID,
        iat: now,
        exp: now + 300,
        nonce: grant.nonce,
        email: grant.person.email,
        email_verified: true,
        name: grant.person.name,
      };
      const input = `${b64url(JSON.stringify({ alg: 'RS256', typ: 'JWT', kid: 'e2e-key' }))}.${b64url(JSON.stringify(claims))}`;
      const signature = createSign('RSA-SHA256').update(input).sign(this.key);
      return this.json(res, 200, {
        access_token: b64url(randomBytes(16)),
        token_type: 'Bearer',
        expires_in: 300,
        id_token: `${input}.${b64url(signature)}`,
      });
    }
    this.json(res, 404, { error: 'not_found' });
  }
}
