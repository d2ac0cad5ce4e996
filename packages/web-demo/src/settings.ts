/**
 * Page settings from the URL (`?model=`, `?api=`, `?mode=`, `?ep=`) over saved choices.
 * `?model=trained` is the model the train view made last, read from this browser's storage.
 */
import { type BackendPreference, TRAINED_MODEL } from './local-model.js';

export type Mode = 'local' | 'edge';

export interface Settings {
  modelUrl: string;
  apiBase: string;
  mode: Mode;
  backend: BackendPreference;
}

const STORAGE_KEY = 'ferry-demo-settings';
const DEFAULT_API = (import.meta.env.VITE_FERRY_API as string | undefined) ?? 'http://127.0.0.1:8787';

function saved(): Partial<Settings> {
  try {
    return JSON.parse(localStorage.getItem(STORAGE_KEY) ?? '{}') as Partial<Settings>;
  } catch {
    return {};
  }
}

export function readSettings(location: Location = window.location): Settings {
  const params = new URLSearchParams(location.search);
  const stored = saved();
  const mode = params.get('mode') ?? stored.mode;
  const ep = params.get('ep');
  return {
    modelUrl:
      params.get('model') === TRAINED_MODEL
        ? TRAINED_MODEL
        : new URL(params.get('model') ?? 'model.onnx', document.baseURI).href,
    apiBase: params.get('api') ?? stored.apiBase ?? DEFAULT_API,
    mode: mode === 'edge' ? 'edge' : 'local',
    backend: ep === 'wasm' || ep === 'webgpu' ? ep : 'auto',
  };
}

export function saveSettings(settings: Pick<Settings, 'apiBase' | 'mode'>): void {
  try {
    localStorage.setItem(STORAGE_KEY, JSON.stringify({ apiBase: settings.apiBase, mode: settings.mode }));
  } catch {
    // Private browsing may refuse storage; the settings just don't persist.
  }
}
