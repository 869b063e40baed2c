import type { ApiIssue, StudioTitleManifest } from '@edgeplay/shared';

/** A value the page itself could not read (a line of env without `=`, JSON that is not JSON). */
export class FormReadError extends Error {
  constructor(readonly issues: ApiIssue[]) {
    super(issues.map((issue) => issue.message).join('; '));
  }
}

const text = (form: HTMLFormElement, name: string): string => {
  const element = form.elements.namedItem(name);
  return element instanceof HTMLInputElement ||
    element instanceof HTMLTextAreaElement ||
    element instanceof HTMLSelectElement
    ? element.value.trim()
    : '';
};

const lines = (value: string): string[] =>
  value
    .split('\n')
    .map((line) => line.trim())
    .filter(Boolean);

/** A number field as the server should see it: empty stays missing, anything else is sent as typed. */
const numberOf = (value: string): number | string | undefined => {
  if (value === '') return undefined;
  const number = Number(value);
  return Number.isFinite(number) ? number : value;
};

/**
 * The form as a manifest, as far as the page can tell; the broker checks the rest and
 * answers with the fields it refuses. Empty optional fields are left out.
 */
export function readTitleForm(form: HTMLFormElement, cover: string | undefined): Record<string, unknown> {
  const issues: ApiIssue[] = [];
  const env: Record<string, string> = {};
  for (const line of lines(text(form, 'env'))) {
    const at = line.indexOf('=');
    if (at <= 0) issues.push({ path: 'env', message: `"${line}" is not NAME=value` });
    else env[line.slice(0, at).trim()] = line.slice(at + 1).trim();
  }
  let gamepadMap: unknown;
  const gamepadText = text(form, 'gamepadMap');
  if (gamepadText) {
    try {
      gamepadMap = JSON.parse(gamepadText);
    } catch {
      issues.push({ path: 'gamepadMap', message: 'not valid JSON' });
    }
  }
  if (issues.length) throw new FormReadError(issues);

  const description = text(form, 'description');
  const minGpuClass = text(form, 'minGpuClass');
  const paths = lines(text(form, 'installPaths'));
  const debianPackage = text(form, 'debianPackage');
  const audio = form.elements.namedItem('audio');
  return {
    id: text(form, 'id'),
    name: text(form, 'name'),
    ...(description ? { description } : {}),
    command: text(form, 'command'),
    args: lines(text(form, 'args')),
    env,
    resolution: { width: numberOf(text(form, 'width')), height: numberOf(text(form, 'height')) },
    fps: numberOf(text(form, 'fps')),
    mouse: text(form, 'mouse') || 'absolute',
    audio: audio instanceof HTMLInputElement ? audio.checked : true,
    ...(gamepadMap === undefined ? {} : { gamepadMap }),
    ...(minGpuClass ? { minGpuClass } : {}),
    ...(paths.length || debianPackage
      ? { installCheck: { ...(paths.length ? { paths } : {}), ...(debianPackage ? { debianPackage } : {}) } }
      : {}),
    ...(cover ? { cover } : {}),
  };
}

/** Fills the form with a registered title, for editing. */
export function fillTitleForm(form: HTMLFormElement, manifest: StudioTitleManifest): void {
  const set = (name: string, value: string): void => {
    const element = form.elements.namedItem(name);
    if (
      element instanceof HTMLInputElement ||
      element instanceof HTMLTextAreaElement ||
      element instanceof HTMLSelectElement
    ) {
      element.value = value;
    }
  };
  set('id', manifest.id);
  set('name', manifest.name);
  set('description', manifest.description ?? '');
  set('command', manifest.command);
  set('args', manifest.args.join('\n'));
  set(
    'env',
    Object.entries(manifest.env)
      .map(([name, value]) => `${name}=${value}`)
      .join('\n'),
  );
  set('width', String(manifest.resolution.width));
  set('height', String(manifest.resolution.height));
  set('fps', String(manifest.fps));
  set('mouse', manifest.mouse ?? 'absolute');
  const audio = form.elements.namedItem('audio');
  if (audio instanceof HTMLInputElement) audio.checked = manifest.audio;
  set('gamepadMap', manifest.gamepadMap ? JSON.stringify(manifest.gamepadMap) : '');
  set('minGpuClass', manifest.minGpuClass ?? '');
  set('installPaths', (manifest.installCheck?.paths ?? []).join('\n'));
  set('debianPackage', manifest.installCheck?.debianPackage ?? '');
  set('cover', manifest.cover ?? '');
}

/**
 * Puts each issue next to its field: the field whose `data-field` is the longest prefix of
 * the issue's path (`env.LD_PRELOAD` → env, `resolution.width` → width). Returns the issues
 * no field took, for the form's own error line.
 */
export function showFieldErrors(form: HTMLFormElement, issues: readonly ApiIssue[]): ApiIssue[] {
  clearFieldErrors(form);
  const fields = [...form.querySelectorAll<HTMLElement>('[data-field]')];
  const unplaced: ApiIssue[] = [];
  for (const issue of issues) {
    const field = fields
      .filter((candidate) => {
        const name = candidate.dataset.field ?? '';
        return issue.path === name || issue.path.startsWith(`${name}.`);
      })
      .sort((a, b) => (b.dataset.field?.length ?? 0) - (a.dataset.field?.length ?? 0))[0];
    if (!field) {
      unplaced.push(issue);
      continue;
    }
    field.classList.add('invalid');
    let message = field.querySelector<HTMLElement>('.field-error');
    if (!message) {
      message = document.createElement('p');
      message.className = 'field-error';
      message.id = `error-${(field.dataset.field ?? '').replace(/\W+/g, '-')}`;
      field.append(message);
      field.querySelector('input, textarea, select')?.setAttribute('aria-describedby', message.id);
    }
    const detail = issue.path.includes('.') && issue.path !== field.dataset.field ? `${issue.path}: ` : '';
    message.textContent = message.textContent
      ? `${message.textContent} ${detail}${issue.message}`
      : `${detail}${issue.message}`;
    field.querySelector('input, textarea, select')?.setAttribute('aria-invalid', 'true');
  }
  return unplaced;
}

export function clearFieldErrors(form: HTMLFormElement): void {
  for (const message of form.querySelectorAll('.field-error')) message.remove();
  for (const field of form.querySelectorAll('.invalid')) field.classList.remove('invalid');
  for (const input of form.querySelectorAll('[aria-invalid]')) {
    input.removeAttribute('aria-invalid');
    input.removeAttribute('aria-describedby');
  }
}
