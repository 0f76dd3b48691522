/**
 * Test-suite set-up: installs what the tests need and the repository does not ship. The full
 * Fashion-MNIST test split comes from Debian's `dataset-fashion-mnist` package; when it is
 * missing and this is a root shell with apt-get (CI), install it; otherwise the one test that
 * reads it is skipped with its reason.
 */
import { existsSync } from 'node:fs';
import { aptInstall, canAptInstall } from './helpers/apt-install.ts';

const FILE = '/usr/share/datasets/fashion-mnist/t10k-images-idx3-ubyte.gz';

export default function setup(): void {
  if (existsSync(FILE)) return;
  if (canAptInstall()) {
    process.stderr.write('test set-up: installing dataset-fashion-mnist (Debian) for the dataset tests…\n');
    if (!aptInstall('dataset-fashion-mnist')) process.stderr.write('test set-up: apt-get could not install dataset-fashion-mnist; its test is skipped\n');
  }
}
