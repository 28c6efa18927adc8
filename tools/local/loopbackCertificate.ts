/**
 * A throw-away self-signed certificate for 127.0.0.1 and localhost, made with openssl in `dir`: the Azure SDK's bearer
 * token policy refuses plain `http://` endpoints, so local stand-ins of Azure Monitor endpoints serve HTTPS with it
 * and their clients trust it as their only CA.
 */
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

export function makeLoopbackCertificate(dir: string): { key: Buffer; cert: string } {
    const keyPath = join(dir, 'key.pem');
    const certPath = join(dir, 'cert.pem');
    const made = spawnSync(
        'openssl',
        [
            'req',
            '-x509',
            '-newkey',
            'rsa:2048',
            '-nodes',
            '-days',
            '1',
            '-subj',
            '/CN=localhost',
            '-addext',
            'subjectAltName=IP:127.0.0.1,DNS:localhost',
            '-keyout',
            keyPath,
            '-out',
            certPath,
        ],
        { encoding: 'utf8' },
    );
    if (made.status !== 0) throw new Error(`openssl could not make a loopback certificate: ${made.stderr}`);
    return { key: readFileSync(keyPath), cert: readFileSync(certPath, 'utf8') };
}
