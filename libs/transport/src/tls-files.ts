// The certificate and key a TLS listener serves, checked before any listener opens: an
// unreadable file or a key that does not fit its certificate stops the node at start with
// a message that names the file, instead of a listener that fails every handshake.
import { readFileSync } from 'node:fs';
import { createSecureContext } from 'node:tls';

export interface TlsFiles {
  /** PEM certificate (chain). */
  certFile: string;
  /** PEM private key of the certificate. */
  keyFile: string;
  passphrase?: string;
}

export interface TlsMaterial {
  cert: Buffer;
  key: Buffer;
  passphrase?: string;
}

export function readTlsFiles(files: TlsFiles): TlsMaterial {
  const cert = readPem(files.certFile, 'certificate');
  const key = readPem(files.keyFile, 'private key');
  const material: TlsMaterial = { cert, key, ...(files.passphrase ? { passphrase: files.passphrase } : {}) };
  try {
    createSecureContext(material);
  } catch (error) {
    throw new Error(
      `TLS certificate ${files.certFile} and key ${files.keyFile} cannot be used together: ${(error as Error).message}`,
    );
  }
  return material;
}

function readPem(path: string, what: string): Buffer {
  try {
    return readFileSync(path);
  } catch (error) {
    throw new Error(`cannot read the TLS ${what} file ${path}: ${(error as Error).message}`);
  }
}
