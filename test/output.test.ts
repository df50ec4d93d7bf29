// What a person reads from the command line: the progress bar of long work (drift, reconcile) on a terminal only.
import { describe, expect, it } from 'vitest';
import { progressBar } from '../src/commands/output.ts';

function terminal(isTTY: boolean) {
  const written: string[] = [];
  return { stream: { isTTY, write: (text: string) => written.push(text) }, written };
}

describe('progressBar', () => {
  it('redraws one line on a terminal, and ends it when the work is done', () => {
    const { stream, written } = terminal(true);
    const progress = progressBar('Scanning', stream);
    progress(0, 1_000);
    progress(500, 1_000);
    progress(1_000, 1_000);
    expect(written).toEqual([
      `\rScanning [${'-'.repeat(30)}] 0/1000`,
      `\rScanning [${'#'.repeat(15)}${'-'.repeat(15)}] 500/1000`,
      `\rScanning [${'#'.repeat(30)}] 1000/1000\n`,
    ]);
  });

  it('draws nothing into a pipe or a file, where a redrawn line is noise', () => {
    const { stream, written } = terminal(false);
    progressBar('Applying', stream)(3, 10);
    expect(written).toEqual([]);
  });

  it('shows empty work as done', () => {
    const { stream, written } = terminal(true);
    progressBar('Applying', stream)(0, 0);
    expect(written).toEqual([`\rApplying [${'#'.repeat(30)}] 0/0\n`]);
  });
});
