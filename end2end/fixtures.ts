import { readFileSync } from 'node:fs';
import { E2E_DIR } from './playwright.config';

/** The owner created by the first-run test; later tests sign in as them. */
export const OWNER = {
  org: 'Acme Store',
  name: 'Ada Lovelace',
  email: 'ada@example.com',
  password: 'violet kettle runs uphill',
};

/** The set-up token, read from the server log exactly as an operator would find it. */
export function setupTokenFromLog(): string {
  const log = readFileSync(`${E2E_DIR}/server.log`, 'utf8');
  const match = log.match(/set-up token: ([0-9a-f]+)/);
  if (!match) throw new Error(`no set-up token in the server log:\n${log}`);
  return match[1];
}
