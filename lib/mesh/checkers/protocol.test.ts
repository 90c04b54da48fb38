import { describe, expect, it } from 'vitest';
import { servicePortProtocol } from './protocol';

describe('servicePortProtocol', () => {
  it.each([
    [{ name: 'http', port: 8888 }, 'HTTP', true],
    [{ name: 'http-notebook', port: 8888 }, 'HTTP', true],
    [{ name: 'HTTP2', port: 8888 }, 'HTTP2', true],
    [{ name: 'grpc', port: 9000 }, 'GRPC', true],
    [{ name: 'grpc-web-x', port: 9000 }, 'GRPC-Web', true],
    [{ name: 'web', port: 8888, appProtocol: 'http' }, 'HTTP', true],
    [{ name: 'http', port: 8888, appProtocol: 'kubernetes.io/h2c' }, 'HTTP2', true],
    // appProtocol wins over the name, even when istiod does not know it
    [{ name: 'http', port: 8888, appProtocol: 'tcp' }, 'TCP', false],
    [{ name: 'http', port: 8888, appProtocol: 'custom' }, 'sniffed', false],
    [{ name: 'tcp-notebook', port: 8888 }, 'TCP', false],
    [{ name: 'https', port: 443 }, 'HTTPS', false],
    [{ name: 'notebook', port: 8888 }, 'sniffed', false],
    [{ port: 8888 }, 'sniffed', false],
    [{ name: 'db', port: 3306 }, 'TCP', false],
    [{ name: 'http', port: 8888, protocol: 'UDP' }, 'UDP', false],
  ])('%o is %s', (port, protocol, isHttp) => {
    expect(servicePortProtocol(port)).toMatchObject({ protocol, isHttp });
  });
});
