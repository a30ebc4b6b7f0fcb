import { spawnSync } from 'node:child_process';
import { chmodSync, existsSync, readFileSync, writeFileSync } from 'node:fs';
import { delimiter, join } from 'node:path';
import { ROOT } from './paths';
import { freePort, spawnCommand, waitForPort, type ManagedProcess } from './processes';

/** The shipped nginx configuration (deploy/nginx.conf), in use as an operator installs it. */

export const SHIPPED_NGINX_CONF = join(ROOT, 'deploy', 'nginx.conf');
/** The server name and certificate paths an operator replaces. */
export const SHIPPED_SERVER_NAME = 'ocr.example.com';
const SHIPPED_CERT = '/etc/letsencrypt/live/ocr.example.com/fullchain.pem';
const SHIPPED_KEY = '/etc/letsencrypt/live/ocr.example.com/privkey.pem';
const SHIPPED_ACCESS_LOG = '/var/log/nginx/secure-ocr.access.log';
/** Where Debian and Ubuntu keep the main file that includes conf.d. */
export const DISTRIBUTION_NGINX_CONF = '/etc/nginx/nginx.conf';

/** The nginx binary; fails, saying how to get it, when it is not installed. */
export function nginxBinary(): string {
  const dirs = [...(process.env.PATH ?? '').split(delimiter), '/usr/sbin', '/usr/local/sbin'];
  const found = dirs.map((dir) => join(dir, 'nginx')).find((file) => existsSync(file));
  if (!found) {
    throw new Error(
      'nginx is not installed, so deploy/nginx.conf cannot be checked: `apt-get install nginx` ' +
        '(.ci/run installs it).',
    );
  }
  return found;
}

/** `nginx -v`: e.g. "1.22.1". */
export function nginxVersion(binary: string): string {
  const { stderr } = spawnSync(binary, ['-v'], { encoding: 'utf8' });
  const match = /nginx\/(\S+)/.exec(stderr);
  if (!match) {
    throw new Error(`nginx -v printed no version: ${stderr}`);
  }
  return match[1];
}

/**
 * `text` with `from` replaced by `to`, refusing unless `from` occurs exactly once: when the shipped
 * file changes shape, the spec fails loudly instead of quietly testing something else.
 */
export function replaceOnce(text: string, from: string, to: string): string {
  const count = text.split(from).length - 1;
  if (count !== 1) {
    throw new Error(`expected "${from}" once in the nginx configuration, found it ${count} times`);
  }
  return text.replace(from, () => to);
}

export interface Certificate {
  certFile: string;
  keyFile: string;
}

/** The shipped file with only what an operator must change: certificate, key and log paths. */
export function installedConf(dir: string, certificate: Certificate): string {
  let conf = readFileSync(SHIPPED_NGINX_CONF, 'utf8');
  conf = replaceOnce(conf, SHIPPED_CERT, certificate.certFile);
  conf = replaceOnce(conf, SHIPPED_KEY, certificate.keyFile);
  return replaceOnce(conf, SHIPPED_ACCESS_LOG, join(dir, 'secure-ocr.access.log'));
}

/** `nginx -t` on `confFile` (a main configuration file); never throws. */
export function testConfiguration(binary: string, confFile: string): { code: number | null; output: string } {
  const result = spawnSync(binary, ['-t', '-e', 'stderr', '-c', confFile], { encoding: 'utf8' });
  return { code: result.status, output: `${result.stdout}${result.stderr}` };
}

export interface NginxProcess extends ManagedProcess {
  readonly tlsPort: number;
  readonly httpPort: number;
  readonly accessLog: string;
}

/**
 * The shipped file, run in the foreground by a main file of its own under `dir`, in front of the
 * gateways on `gatewayPorts`: listening on free loopback ports instead of 80 and 443 (IPv6 left
 * out), with the given certificate. Every other line is the shipped one.
 */
export async function startNginx(options: {
  binary: string;
  dir: string;
  certificate: Certificate;
  gatewayPorts: number[];
}): Promise<NginxProcess> {
  const { binary, dir } = options;
  const [tlsPort, httpPort] = [await freePort(), await freePort()];
  let conf = installedConf(dir, options.certificate);
  conf = replaceOnce(conf, 'listen 443 ssl http2;', `listen 127.0.0.1:${tlsPort} ssl http2;`);
  conf = replaceOnce(conf, 'listen [::]:443 ssl http2;', '');
  conf = replaceOnce(conf, 'listen 80;', `listen 127.0.0.1:${httpPort};`);
  conf = replaceOnce(conf, 'listen [::]:80;', '');
  conf = replaceOnce(
    conf,
    'server 127.0.0.1:8000 max_fails=1 fail_timeout=5s;',
    options.gatewayPorts.map((port) => `server 127.0.0.1:${port} max_fails=1 fail_timeout=5s;`).join('\n'),
  );
  writeFileSync(join(dir, 'secure-ocr.conf'), conf);
  // Run as root, nginx's workers run as nobody: they must reach the temporary body files here.
  chmodSync(dir, 0o755);
  writeFileSync(
    join(dir, 'nginx.conf'),
    [
      'daemon off;',
      'worker_processes 1;',
      `pid ${join(dir, 'nginx.pid')};`,
      'error_log stderr warn;',
      'events { worker_connections 512; }',
      'http {',
      ...['client_body', 'proxy', 'fastcgi', 'uwsgi', 'scgi'].map(
        (kind) => `    ${kind}_temp_path ${join(dir, `${kind}-temp`)};`,
      ),
      `    include ${join(dir, 'secure-ocr.conf')};`,
      '}',
      '',
    ].join('\n'),
  );
  const nginx = spawnCommand('nginx', binary, ['-e', 'stderr', '-p', dir, '-c', join(dir, 'nginx.conf')]);
  await waitForPort(tlsPort, { process: nginx });
  return Object.assign(nginx, { tlsPort, httpPort, accessLog: join(dir, 'secure-ocr.access.log') });
}
