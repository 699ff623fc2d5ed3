// Shared by the bench workloads: what the leakscan agent, when preloaded,
// says it did during the run (how many resources it recorded, the share of
// time it watched), so a cheap run can be told from a blind one.
export function agentReport() {
  const agent = globalThis[Symbol.for('leakscan.agent')];
  if (!agent) return undefined;
  const { capture, cost } = agent.status();
  return { capture, recorded: cost.recorded, dutyCycle: cost.dutyCycle };
}
