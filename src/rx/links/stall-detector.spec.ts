import { describe, expect, it } from 'vitest';
import { VirtualTimeScheduler } from 'rxjs';
import { StallDetector, stallProbeFor, type StallProbe } from './stall-detector.js';

function rig(stallTimeout: number, availableTimeout: number, probe: StallProbe = 'drain') {
  const scheduler = new VirtualTimeScheduler();
  const actions: string[] = [];
  let credit = 10;
  let scheduled = 0;
  const counting = {
    now: () => scheduler.now(),
    schedule: (...args: Parameters<VirtualTimeScheduler['schedule']>) => {
      scheduled++;
      return scheduler.schedule(...args);
    },
  };
  const detector = new StallDetector(
    stallTimeout,
    availableTimeout,
    counting,
    {
      credit: () => credit,
      arrivedAt: () => scheduler.now(),
      probe: (kind) => actions.push(`${scheduler.now()} ${kind}`),
      reflow: (healthy) => actions.push(`${scheduler.now()} reflow${healthy ? ' healthy' : ''}`),
      reattach: () => actions.push(`${scheduler.now()} reattach`),
    },
    probe,
  );
  const at = (t: number, step?: () => void) => {
    scheduler.schedule(() => step?.(), t - scheduler.now());
  };
  const run = (t: number) => {
    scheduler.maxFrames = t;
    scheduler.flush();
  };
  return { scheduler, detector, actions, at, run, setCredit: (n: number) => (credit = n), scheduled: () => scheduled };
}

describe('StallDetector', () => {
  it('available reported, nothing comes: drain after the timeout, and a drain answered with messages still claimed re-attaches the next time', () => {
    const { detector, actions, at, run } = rig(0, 100);
    detector.creditChanged();
    at(10, () => detector.flow(3, false));
    at(210, () => detector.flow(3, true));
    run(1000);
    expect(actions).toEqual(['110 drain', '210 reflow', '310 reattach']);
  });

  it('a drain answered with nothing available is a healthy idle link', () => {
    const { detector, actions, at, run } = rig(0, 100);
    detector.creditChanged();
    at(0, () => detector.flow(2, false));
    at(150, () => detector.flow(0, true));
    run(1000);
    expect(actions).toEqual(['100 drain', '150 reflow healthy']);
  });

  it('deliveries keep it quiet; available counts down with each one, so a peer that sent all it had is not stalled', () => {
    const { detector, actions, at, run } = rig(0, 100);
    detector.creditChanged();
    at(0, () => detector.flow(2, false));
    at(50, () => detector.delivery());
    at(60, () => detector.delivery());
    run(1000);
    expect(actions).toEqual([]);
  });

  it('a delivery during the check clears the suspicion: the next stall drains again rather than re-attach', () => {
    const { detector, actions, at, run } = rig(100, 0);
    detector.creditChanged();
    at(150, () => detector.delivery());
    at(160, () => detector.flow(0, true));
    run(500);
    // The second drain goes unanswered: then a re-attach.
    expect(actions).toEqual(['100 drain', '160 reflow healthy', '260 drain', '360 reattach']);
  });

  it('a drain unanswered for as long again re-attaches; nothing is checked without credit', () => {
    const { detector, actions, run } = rig(100, 0);
    detector.creditChanged();
    run(1000);
    expect(actions).toEqual(['100 drain', '200 reattach']);
    const idle = rig(100, 0);
    idle.setCredit(0);
    idle.detector.creditChanged();
    idle.run(1000);
    expect(idle.actions).toEqual([]);
  });

  it('one timer per period, not one per delivery', () => {
    const { detector, actions, at, run, scheduled } = rig(100, 0);
    detector.creditChanged();
    for (let t = 1; t < 1000; t += 1) at(t, () => detector.delivery());
    run(1000);
    const timers = scheduled();
    expect(actions).toEqual([]);
    expect(timers).toBeLessThanOrEqual(11);
  });

  it('stop() ends every check', () => {
    const { detector, actions, run } = rig(100, 100);
    detector.creditChanged();
    detector.flow(5, false);
    detector.stop();
    run(1000);
    expect(actions).toEqual([]);
  });

  it('an echo probe is answered by any flow: nothing available is healthy, messages still claimed lead to a re-attach', () => {
    const idle = rig(100, 0, 'echo');
    idle.detector.creditChanged();
    idle.at(120, () => idle.detector.flow(0, false));
    idle.run(150);
    expect(idle.actions).toEqual(['100 echo', '120 reflow healthy']);
    const stuck = rig(0, 100, 'echo');
    stuck.detector.creditChanged();
    stuck.at(0, () => stuck.detector.flow(4, false));
    stuck.at(120, () => stuck.detector.flow(4, false));
    stuck.run(1000);
    expect(stuck.actions).toEqual(['100 echo', '120 reflow', '220 reattach']);
  });

  it('RabbitMQ 3.x is probed with an echo (a drain fails its session); other peers with a drain', () => {
    expect(stallProbeFor({ product: 'RabbitMQ', version: '3.10.8' })).toBe('echo');
    expect(stallProbeFor({ product: 'RabbitMQ', version: '4.0.2' })).toBe('drain');
    expect(stallProbeFor({ product: 'qpid-proton' })).toBe('drain');
    expect(stallProbeFor(undefined)).toBe('drain');
  });
});
