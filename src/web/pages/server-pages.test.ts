import { describe, expect, it } from 'vitest';
import { progressStep, splitFailure } from './server-pages.js';

describe('the progress page\'s rules', () => {
  it('keeps an image pull\'s reports on one line of the event log, and every other message on its own', () => {
    const image = 'registry.example.org:5000/team/lab:2024-10';
    expect(progressStep(`Pulling ${image}`)).toBe(`Pulling ${image}`);
    expect(progressStep(`Pulling ${image}: 3/7 layers, 120 MB of 300 MB`)).toBe(`Pulling ${image}`);
    expect(progressStep('Waiting for the server to answer HTTP at /user/a/api')).toBe('Waiting for the server to answer HTTP at /user/a/api');
    expect(progressStep('Creating container berth-a')).not.toBe(progressStep('Starting container'));
  });

  it('splits a failure into its reason and the server\'s last log lines', () => {
    expect(splitFailure('Spawn failed: exited 1. Last log lines:\nline 1\nline 2')).toEqual({ reason: 'Spawn failed: exited 1.', log: 'line 1\nline 2' });
    expect(splitFailure('Spawn failed: no image')).toEqual({ reason: 'Spawn failed: no image', log: '' });
  });

  it('runs both rules alone from their source text, as the page script does', () => {
    const step = new Function(`return (${progressStep.toString()})`)() as typeof progressStep;
    expect(step('Pulling a/b:c: 1/2 layers')).toBe('Pulling a/b:c');
    const split = new Function(`return (${splitFailure.toString()})`)() as typeof splitFailure;
    expect(split('x Last log lines:\ny').log).toBe('y');
  });
});
