import type { ServicePort } from '../../kube/services';

/** Ports istiod never leaves to protocol sniffing: without a declared protocol they are plain TCP. */
const WELL_KNOWN_TCP_PORTS = new Set([25, 53, 3306, 27017]);

const PROTOCOLS: Record<string, string> = {
  tcp: 'TCP',
  udp: 'UDP',
  grpc: 'GRPC',
  'grpc-web': 'GRPC-Web',
  http: 'HTTP',
  http_proxy: 'HTTP_PROXY',
  http2: 'HTTP2',
  https: 'HTTPS',
  tls: 'TLS',
  mongo: 'Mongo',
  redis: 'Redis',
  mysql: 'MySQL',
};

/** Kubernetes' standard appProtocol names (KEP-3726), which istiod maps too. */
const KUBERNETES_APP_PROTOCOLS: Record<string, string> = { 'kubernetes.io/h2c': 'HTTP2', 'kubernetes.io/ws': 'HTTP', 'kubernetes.io/wss': 'HTTPS' };

const HTTP_PROTOCOLS = new Set(['HTTP', 'HTTP2', 'HTTP_PROXY', 'GRPC', 'GRPC-Web']);

/** 'sniffed': no protocol declared, so the proxies detect it per connection (HTTP/1.1 and h2c only). */
export type PortProtocol = { protocol: string | 'sniffed'; isHttp: boolean; declaredBy: 'appProtocol' | 'name' | undefined };

/**
 * The protocol istiod gives a Service port (pkg/config/kube ConvertProtocol): UDP if the port is UDP; else
 * `appProtocol` when set, otherwise the port's name, up to its first `-` (`http-web` → HTTP; `grpc-web…` is gRPC-Web).
 * Unknown names are sniffed, except on the well-known server-first ports, which are TCP.
 */
export function servicePortProtocol(port: ServicePort): PortProtocol {
  if (port.protocol?.toUpperCase() === 'UDP') return { protocol: 'UDP', isHttp: false, declaredBy: undefined };
  const declaredBy = port.appProtocol ? 'appProtocol' : port.name ? 'name' : undefined;
  const raw = (port.appProtocol ?? port.name ?? '').toLowerCase();
  const declared = KUBERNETES_APP_PROTOCOLS[raw] ?? (raw.startsWith('grpc-web') ? 'GRPC-Web' : PROTOCOLS[raw.split('-', 1)[0]!]);
  if (declared !== undefined) return { protocol: declared, isHttp: HTTP_PROTOCOLS.has(declared), declaredBy };
  if (WELL_KNOWN_TCP_PORTS.has(port.port)) return { protocol: 'TCP', isHttp: false, declaredBy: undefined };
  return { protocol: 'sniffed', isHttp: false, declaredBy: undefined };
}
