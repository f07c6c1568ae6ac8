/**
 * How a swarm deployment is read back without an engine: its status from its service's figures
 * (the engine test, swarmRuntime.test.ts, sees running, replacing and stopped; dead and starting
 * are hard to make there on cue), the engine's framed log stream, and a task's error.
 */
import { describe, expect, it } from 'vitest';
import { logLines, type SwarmTask, swarmStatus, taskError } from './swarmState.ts';

const base = {
  desired: 2,
  running: 2,
  starting: 0,
  frontRunning: true,
  update: null,
  lastFailure: null,
  front: 'its front mlwb-dep-x_front, which holds port 9000,',
};

describe('swarmStatus', () => {
  it('is running with every replica and the front up, even with failures in its history', () => {
    expect(swarmStatus(base)).toEqual({ status: 'running', problem: null });
    expect(swarmStatus({ ...base, lastFailure: 'task: non-zero exit (1)' }).status).toBe('running');
  });

  it('is stopped at 0 replicas, whatever its tasks do', () => {
    expect(swarmStatus({ ...base, desired: 0, running: 1 })).toEqual({ status: 'stopped', problem: null });
  });

  it('is replacing while Swarm rolls with replicas serving', () => {
    const update = { State: 'updating', Message: 'update in progress' };
    expect(swarmStatus({ ...base, update })).toEqual({ status: 'replacing', problem: 'update in progress' });
    expect(swarmStatus({ ...base, update: { State: 'rollback_started' } }).status).toBe('replacing');
    expect(swarmStatus({ ...base, update: { State: 'completed' } }).status).toBe('running');
  });

  it('is dead when no replica runs or is on its way and the last one failed', () => {
    const dead = swarmStatus({ ...base, running: 0, lastFailure: 'task: non-zero exit (137)' });
    expect(dead).toEqual({
      status: 'dead',
      problem: 'No replica is running; the last one failed: task: non-zero exit (137).',
    });
  });

  it('is starting while replicas are on their way, and says what is missing', () => {
    expect(swarmStatus({ ...base, running: 0, starting: 2, lastFailure: 'task: non-zero exit (1)' })).toEqual(
      {
        status: 'starting',
        problem: '0 of 2 replicas are ready; the last failure: task: non-zero exit (1).',
      },
    );
    expect(swarmStatus({ ...base, running: 1, starting: 1 }).problem).toBe('1 of 2 replicas are ready.');
    expect(swarmStatus({ ...base, frontRunning: false })).toEqual({
      status: 'starting',
      problem: 'Its front mlwb-dep-x_front, which holds port 9000, is not running.',
    });
  });
});

/** One frame of the engine's multiplexed stream: stream 1 is stdout, 2 stderr. */
function frame(stream: 1 | 2, text: string): Buffer {
  const payload = Buffer.from(text);
  const header = Buffer.alloc(8);
  header[0] = stream;
  header.writeUInt32BE(payload.length, 4);
  return Buffer.concat([header, payload]);
}

describe('logLines', () => {
  it('splits framed output into lines by stream, joining a line cut across frames', () => {
    const buf = Buffer.concat([
      frame(1, 'listening on 0.0.0.0:8080\nloa'),
      frame(2, 'warning: slow disk\n'),
      frame(1, 'ded in 0.2 s\n'),
      frame(2, 'no newline at the end'),
    ]);
    expect(logLines(buf)).toEqual([
      { stream: 'stdout', text: 'listening on 0.0.0.0:8080' },
      { stream: 'stderr', text: 'warning: slow disk' },
      { stream: 'stdout', text: 'loaded in 0.2 s' },
      { stream: 'stderr', text: 'no newline at the end' },
    ]);
  });

  it('reads unframed output (a TTY) as stdout lines', () => {
    expect(logLines(Buffer.from('one\ntwo\n'))).toEqual([
      { stream: 'stdout', text: 'one' },
      { stream: 'stdout', text: 'two' },
    ]);
  });
});

describe('taskError', () => {
  const task = (status: Partial<SwarmTask['Status']>): SwarmTask => ({
    ID: 't',
    ServiceID: 's',
    DesiredState: 'shutdown',
    CreatedAt: '',
    UpdatedAt: '',
    Spec: {},
    Status: { Timestamp: '', State: 'failed', ...status },
  });

  it("gives the engine's error with the exit code, once", () => {
    expect(taskError(task({ Err: 'task: non-zero exit (1)', ContainerStatus: { ExitCode: 1 } }))).toBe(
      'task: non-zero exit (1)',
    );
    expect(taskError(task({ Err: 'container unhealthy', ContainerStatus: { ExitCode: 143 } }))).toBe(
      'container unhealthy (exit code 143)',
    );
    expect(taskError(task({ State: 'rejected', Message: 'No such image: x' }))).toBe('No such image: x');
  });
});
