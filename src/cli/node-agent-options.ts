/** The options that shape the Node agent, shared by attach, run and check. */
import { Option } from 'commander';
import type { Command } from 'commander';
import { defaultAgentSettings } from '../targets/node/agent-settings.js';
import type { AgentSettings } from '../targets/node/agent-settings.js';
import { percent, positiveInt } from './options.js';

export interface NodeAgentFlags {
  track: 'adaptive' | 'all';
  agentBudget: number;
  native: boolean;
  maxTracked: number;
  stackDepth: number;
}

/** The agent's defaults as flags (the budget in percent). */
export const NODE_AGENT_FLAG_DEFAULTS: NodeAgentFlags = {
  track: defaultAgentSettings.track,
  agentBudget: defaultAgentSettings.budget * 100,
  native: defaultAgentSettings.native,
  maxTracked: defaultAgentSettings.maxTracked,
  stackDepth: defaultAgentSettings.stackDepth,
};

export function addNodeAgentOptions(command: Command): Command {
  return command
    .addOption(
      new Option(
        '--track <mode>',
        'Node: "adaptive" watches in windows when watching all the time would cost more than --agent-budget; "all" always watches (staging, tests)',
      )
        .choices(['adaptive', 'all'])
        .default(NODE_AGENT_FLAG_DEFAULTS.track),
    )
    .option(
      '--agent-budget <percent>',
      'Node, adaptive: the share of one CPU core the agent may cost on average',
      percent,
      NODE_AGENT_FLAG_DEFAULTS.agentBudget,
    )
    .option('--no-native', 'Node: capture stacks in JavaScript even where the native addon is built for the target')
    .option(
      '--max-tracked <n>',
      'Node: live resources the agent tracks one by one before folding the oldest into counts',
      positiveInt,
      NODE_AGENT_FLAG_DEFAULTS.maxTracked,
    )
    .option('--stack-depth <n>', 'Node: frames captured per creation stack', positiveInt, NODE_AGENT_FLAG_DEFAULTS.stackDepth);
}

export function agentSettingsFromFlags(flags: NodeAgentFlags): AgentSettings {
  return { maxTracked: flags.maxTracked, stackDepth: flags.stackDepth, track: flags.track, budget: flags.agentBudget / 100, native: flags.native };
}
