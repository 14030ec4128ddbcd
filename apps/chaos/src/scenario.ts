// What a chaos scenario is: a fault injected into a running cluster while the workload's
// traffic flows. runner.ts does everything else (cluster, traffic, drain, figures), so a
// new scenario is a new file under scenarios/ plus one line in scenarios/index.ts.
import type { NodeReport } from './cluster/node-report.js';
import type { Workload, WorkloadEnv } from './workload.js';

export interface ScenarioContext extends WorkloadEnv {
  readonly workload: Workload;
  /** Short remarks for the table's notes column. */
  readonly notes: string[];
  /** What went wrong besides lost messages (a promise of the broker that did not hold). */
  readonly failures: string[];
  /** Run at the end, failure or not: whatever the scenario started beyond the workload. */
  readonly cleanups: (() => void | Promise<void>)[];
}

export interface ChaosScenario {
  readonly name: string;
  /** One line, for --help and docs/chaos.md. */
  readonly description: string;
  /**
   * Loss is the documented outcome (Redis restarted empty): it is shown but does not fail
   * the run; what fails it is a loss the nodes did not report.
   */
  readonly lossExpected: boolean;
  /** The clients; the standard workload when absent. */
  workload?(env: WorkloadEnv): Workload;
  /** Injects the fault while traffic flows; resolves once it is lifted. */
  inject(ctx: ScenarioContext): Promise<void>;
  /** Right after the fault is lifted, while traffic still flows: what to wait for and measure. */
  afterLift?(ctx: ScenarioContext): Promise<void>;
  /** After the drain: notes and failures from what the nodes and clients observed. */
  observe?(ctx: ScenarioContext, report: NodeReport): Promise<void>;
}
