/**
 * The `resume` option of receive() and send() (durable link recovery, Part 2
 * §2.6.13): its public marker, and its check. Apart from link-resume.ts,
 * which extends the receiver link and the sender, so receive.ts and send.ts
 * know the option without importing what implements it (and a bundle that
 * never passes `resumeDeliveries` leaves that code out).
 */

/** The `resume` option's value: {@link resumeDeliveries}. */
export interface DeliveryResume {
  readonly kind: 'resume-deliveries';
}

/** The `resume` option: the value `resumeDeliveries` (link-resume.ts), nothing else. @internal */
export function checkResume(value: unknown, name: string, durable: boolean): DeliveryResume {
  if ((value as { kind?: unknown } | null)?.kind !== 'resume-deliveries' || !durable) {
    throw new TypeError(`${name}: expected resumeDeliveries, on a durable link (durable: true): only a durable terminus keeps the state a resume needs`);
  }
  return value as DeliveryResume;
}
