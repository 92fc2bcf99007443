// The Docker labels Berth puts on what it creates, declared once. Reconcile, cleanup and the stale-container
// check read them back, so a container, volume or network without this hub's id is never touched.

/** Label keys; values are strings, as Docker requires. */
export const LABELS = {
  /** The hub's id (settings table, key `hub_id`): the owner of the object. */
  hub: 'berth.hub',
  /** The user's name, for humans and for reconcile. */
  user: 'berth.user',
  /** The server name ('' for the default server). */
  server: 'berth.server',
  /** The catalog label of the image the container was started from ('' for spawner.image). */
  imageLabel: 'berth.image-label',
  /** On a swarm, the hub id on the one-shot jobs that check and pull the catalog's images (never a user's server). */
  imageJob: 'berth.image-job',
  /** Marks the user network as created by Berth. */
  network: 'berth.network',
  /** Set on everything a test hub creates, so a crashed test run can be swept. */
  test: 'berth.test',
} as const;

export type LabelKey = (typeof LABELS)[keyof typeof LABELS];

/** The `filters` value that selects objects owned by hub `hubId`. */
export function ownedBy(hubId: string): { label: string[] } {
  return { label: [`${LABELS.hub}=${hubId}`] };
}
