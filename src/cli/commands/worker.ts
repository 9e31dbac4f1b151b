import { runSupervised } from './serve.js';

export default async function worker(_argv: string[]): Promise<number> {
  return runSupervised({ api: false, workers: true }, () => {});
}
