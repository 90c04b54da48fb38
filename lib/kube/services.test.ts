import { describe, expect, it } from 'vitest';
import { serviceChoices, type Service } from './services';

describe('serviceChoices', () => {
  it('lists the Services by name with their ports', () => {
    const services: Service[] = [
      { metadata: { name: 'web', namespace: 'hub' }, spec: { ports: [{ name: 'http', port: 80 }, { name: 'metrics', port: 9090 }] } },
      { metadata: { name: 'api', namespace: 'hub' }, spec: { ports: [{ port: 8080 }] } },
      { metadata: { name: 'headless', namespace: 'hub' } },
    ];
    expect(serviceChoices({ list: () => services })).toEqual([
      { name: 'api', ports: [{ name: undefined, port: 8080 }] },
      { name: 'headless', ports: [] },
      { name: 'web', ports: [{ name: 'http', port: 80 }, { name: 'metrics', port: 9090 }] },
    ]);
  });
});
