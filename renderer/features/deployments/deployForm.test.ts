import { describe, expect, it } from 'vitest';
import { type DeployForm, deployParams } from './deployForm.ts';

const form: DeployForm = {
  target: { kind: 'version', version: 2 },
  followAlias: true,
  name: 'iris-clf',
  port: '',
  engine: '',
  mode: 'auto',
  replicas: '1',
};

describe('deploy form', () => {
  it('leaves out what the engine picks: port, engine and mode', () => {
    expect(deployParams('iris-clf', form)).toEqual({
      params: { model: 'iris-clf', version: 2, name: 'iris-clf' },
    });
  });

  it('sends an alias with whether to follow it, and Swarm with its replicas', () => {
    expect(
      deployParams('iris-clf', {
        ...form,
        target: { kind: 'alias', alias: 'champion' },
        followAlias: false,
        port: ' 8081 ',
        engine: 'lab',
        mode: 'swarm',
        replicas: '3',
      }),
    ).toEqual({
      params: {
        model: 'iris-clf',
        alias: 'champion',
        followAlias: false,
        name: 'iris-clf',
        port: 8081,
        engine: 'lab',
        mode: 'swarm',
        replicas: 3,
      },
    });
    // Replicas mean nothing to a single container.
    const single = deployParams('iris-clf', { ...form, mode: 'container', replicas: '7' });
    expect(single).toEqual({
      params: { model: 'iris-clf', version: 2, name: 'iris-clf', mode: 'container' },
    });
  });

  it('says what is wrong with each field before sending', () => {
    expect(
      deployParams('m', { ...form, name: 'Iris CLF', port: '70000', mode: 'swarm', replicas: '0' }),
    ).toEqual({
      errors: {
        name: expect.stringContaining('lower-case letters'),
        port: 'The port is a whole number from 1 to 65535.',
        replicas: 'Replicas is a whole number from 1 to 32.',
      },
    });
    expect(deployParams('m', { ...form, name: '' })).toEqual({
      errors: { name: 'A deployment needs a name.' },
    });
  });
});
