// The page's script: runs the scenario and prints its lines into <pre id="out">; data-state says whether it
// finished ("done") or threw ("error", with the error in the text).
import { scenario } from './scenario';

const out = document.getElementById('out')!;
try {
  out.textContent = scenario().join('\n');
  out.dataset['state'] = 'done';
} catch (err) {
  out.textContent = err instanceof Error ? `${err.name}: ${err.message}\n${err.stack ?? ''}` : String(err);
  out.dataset['state'] = 'error';
}
