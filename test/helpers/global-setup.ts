// Runs once before the integration project (vitest.config.ts): the Docker engine and the offline-built test images
// must be there. A missing engine fails the whole project loudly; nothing is skipped.
import Docker from 'dockerode';

export const TEST_IMAGES = ['berth/backend:test', 'berth/singleuser:latest', 'berth/singleuser:test', 'berth/nginx:test', 'berth/hub:latest'];

export default async function setup(): Promise<void> {
  const docker = new Docker();
  try {
    await docker.ping();
  } catch (err) {
    throw new Error(
      `No Docker engine answers at ${process.env.DOCKER_HOST ?? '/var/run/docker.sock'} (${(err as Error).message}). ` +
        'The integration tests need a real engine: run `bash scripts/setup-host.sh` (installs docker.io and starts dockerd). ' +
        '`npm run test:unit` runs the tests that need none.',
    );
  }
  const missing: string[] = [];
  for (const image of TEST_IMAGES) {
    await docker.getImage(image).inspect().catch(() => missing.push(image));
  }
  if (missing.length > 0) {
    throw new Error(`Test images missing: ${missing.join(', ')}. Build them offline with \`bash images/build.sh && bash images/hub/build.sh\` (npm test does).`);
  }
}
