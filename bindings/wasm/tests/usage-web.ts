// Type check of the `offerfit/web` entry: `init` must be awaited before use.
import init, { place, call } from 'offerfit/web';

export async function main(): Promise<void> {
  await init();
  const out = place({ offers: [], tasks: [] });
  console.log(out.ok ? out.stats.offers : out.errors[0].message, call('{"op":"version"}'));
}

import { Session as WebSession } from 'offerfit/web';

export async function webSession(): Promise<boolean> {
  await init();
  const s = new WebSession({ framework: { name: 'fw' } });
  const out = s.step({ now: 0, connect: {} });
  s.free();
  return out.ok && out.calls[0]?.type === 'SUBSCRIBE';
}
