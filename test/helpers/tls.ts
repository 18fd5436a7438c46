// Certificates for TLS tests, made by the openssl CLI in a temporary directory: a CA, server
// certificates for 127.0.0.1/localhost signed by it, a client certificate signed by it, and
// the wrong kinds of client certificate (self-signed; signed by another CA).

import { execFileSync } from 'node:child_process';
import { X509Certificate, randomBytes } from 'node:crypto';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface CertFiles {
  /** Paths of the PEM files. */
  certPath: string;
  keyPath: string;
  cert: Buffer;
  key: Buffer;
  /** SHA-256 fingerprint in Node's getPeerCertificate() format (AA:BB:…). */
  fingerprint256: string;
}

export interface TestPki {
  dir: string;
  ca: CertFiles;
  server: CertFiles;
  /** A second server certificate (same names, another key): what a renewal looks like. */
  renewedServer: CertFiles;
  client: CertFiles;
  selfSignedClient: CertFiles;
  otherCaClient: CertFiles;
  cleanup(): Promise<void>;
}

const EC = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes'];

function openssl(dir: string, args: string[]): void {
  execFileSync('openssl', args, { cwd: dir, stdio: 'pipe' });
}

async function files(dir: string, name: string): Promise<CertFiles> {
  const certPath = join(dir, `${name}.crt`);
  const keyPath = join(dir, `${name}.key`);
  const cert = await readFile(certPath);
  return { certPath, keyPath, cert, key: await readFile(keyPath), fingerprint256: new X509Certificate(cert).fingerprint256 };
}

async function selfSigned(dir: string, name: string, cn: string, extensions: string[]): Promise<CertFiles> {
  openssl(dir, ['req', '-x509', ...EC, '-keyout', `${name}.key`, '-out', `${name}.crt`, '-days', '2', '-subj', `/CN=${cn}`, ...extensions.flatMap((e) => ['-addext', e])]);
  return files(dir, name);
}

async function signed(dir: string, name: string, cn: string, ca: string, extensions: string[]): Promise<CertFiles> {
  openssl(dir, ['req', ...EC, '-keyout', `${name}.key`, '-out', `${name}.csr`, '-subj', `/CN=${cn}`]);
  await writeFile(join(dir, `${name}.ext`), `${extensions.join('\n')}\n`);
  openssl(dir, [
    'x509', '-req', '-in', `${name}.csr`, '-CA', `${ca}.crt`, '-CAkey', `${ca}.key`,
    '-set_serial', `0x${randomBytes(8).toString('hex')}`, '-days', '2', '-out', `${name}.crt`, '-extfile', `${name}.ext`,
  ]);
  return files(dir, name);
}

const CA_EXT = ['basicConstraints=critical,CA:TRUE', 'keyUsage=critical,keyCertSign,cRLSign'];
const SERVER_EXT = ['basicConstraints=CA:FALSE', 'subjectAltName=IP:127.0.0.1,DNS:localhost', 'extendedKeyUsage=serverAuth'];
const CLIENT_EXT = ['basicConstraints=CA:FALSE', 'extendedKeyUsage=clientAuth'];

export async function makeTestPki(): Promise<TestPki> {
  const dir = await mkdtemp(join(tmpdir(), 'lapis-pki-'));
  const ca = await selfSigned(dir, 'ca', 'Lapis Test CA', CA_EXT);
  await selfSigned(dir, 'other-ca', 'Some Other CA', CA_EXT);
  return {
    dir,
    ca,
    server: await signed(dir, 'server', 'localhost', 'ca', SERVER_EXT),
    renewedServer: await signed(dir, 'server-renewed', 'localhost', 'ca', SERVER_EXT),
    client: await signed(dir, 'client', 'good client', 'ca', CLIENT_EXT),
    selfSignedClient: await selfSigned(dir, 'self-signed-client', 'good client', CLIENT_EXT),
    otherCaClient: await signed(dir, 'other-ca-client', 'good client', 'other-ca', CLIENT_EXT),
    cleanup: () => rm(dir, { recursive: true, force: true }),
  };
}
