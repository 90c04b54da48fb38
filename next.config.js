// @ts-check
/** @type {import('next').NextConfig} */
const nextConfig = {
  // JupyterHub POSTs the root route to /api/routes/; a redirect there would break the hub proxy API.
  skipTrailingSlashRedirect: true,
  // Server-only packages that keep long-lived state (watch connections, metrics registry) and must
  // be loaded once by Node, not bundled into each route.
  serverExternalPackages: ['@kubernetes/client-node', 'pino', 'prom-client'],
  poweredByHeader: false,
  // no next/image: nothing needs sharp, so the image leaves it out (scripts/slim-app.mjs)
  images: { unoptimized: true },
  // the container image (Dockerfile) takes Next's standalone output (the server's traced files and node_modules) and runs hubmesh's server on it
  ...(process.env.HUBMESH_STANDALONE === '1' ? { output: /** @type {const} */ ('standalone') } : {}),
  // Responses are small JSON and pages behind the Istio gateway, which can compress. gzip in Node costs a
  // zlib stream of native memory per response, and under the hub's bursts that memory piled up.
  compress: false,
  // the build checks the app's own code; `npm run typecheck` covers tests and scripts too
  typescript: { tsconfigPath: 'tsconfig.app.json' },
  reactStrictMode: true,
};

module.exports = nextConfig;
