/**
 * The contract's methods for continuous training: policies and their executions (gathered into
 * contract.ts's `methods`).
 */
import * as z from 'zod';
import { entities as e } from './entities.ts';
import { method } from './method.ts';
import {
  AddPolicyParams,
  Policy,
  PolicyExecution,
  PolicyName,
  PolicySummary,
  UpdatePolicyParams,
} from './policies.ts';

export const policyMethods = {
  'policies.list': method(z.object({}), z.object({ policies: z.array(PolicySummary) }), {
    reads: () => [e.policies],
  }),
  'policies.get': method(
    z.object({ name: PolicyName }),
    z.object({ policy: Policy, executions: z.array(PolicyExecution) }),
    { reads: (p) => [e.policy(p.name)] },
  ),
  'policies.add': method(AddPolicyParams, z.object({ policy: Policy }), {
    writes: (_p, r) => [e.policies, e.policy(r.policy.name)],
  }),
  'policies.update': method(UpdatePolicyParams, z.object({ policy: Policy }), {
    writes: (p) => [e.policies, e.policy(p.name)],
  }),
  'policies.remove': method(z.object({ name: PolicyName }), z.object({ removed: z.boolean() }), {
    writes: (p) => [e.policies, e.policy(p.name)],
  }),
  /**
   * Retrains now: train, register, evaluate, promote through the gate, deploy. `ifTriggered`: only
   * when a trigger holds (an alert fired, new data), else `execution` is null and `reason` says so.
   */
  'policies.run': method(
    z.object({ name: PolicyName, ifTriggered: z.boolean().default(false) }),
    z.object({ execution: PolicyExecution.nullable(), reason: z.string().nullable() }),
    // Its steps announce what they change (runs, models, deployments) as they go.
    { long: true, writes: (p) => [e.policies, e.policy(p.name)] },
  ),
};
