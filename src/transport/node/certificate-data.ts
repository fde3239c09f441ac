import type { CertificateData } from '../transport.js';

/** Node's TLS options take strings or Buffers; wrap bytes without copying. */
export function toNodeCertificate(data: CertificateData): string | Buffer {
  return typeof data === 'string' ? data : Buffer.from(data.buffer, data.byteOffset, data.byteLength);
}

export function toNodeCertificates(data: CertificateData | readonly CertificateData[] | undefined): string | Buffer | (string | Buffer)[] | undefined {
  if (data === undefined) return undefined;
  return isList(data) ? data.map(toNodeCertificate) : toNodeCertificate(data);
}

function isList(data: CertificateData | readonly CertificateData[]): data is readonly CertificateData[] {
  return Array.isArray(data);
}
