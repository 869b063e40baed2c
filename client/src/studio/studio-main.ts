import { z } from 'zod';
import { ApiKeyInfoSchema, StudioSchema, StudioTitleSchema, type StudioTitle } from '@edgeplay/shared';
import { coverArt } from '../cover-art.js';
import { ApiRequestError, callApi } from './studio-api.js';
import { clearFieldErrors, fillTitleForm, FormReadError, readTitleForm, showFieldErrors } from './title-form.js';
import '../styles.css';

const $ = <T extends HTMLElement>(id: string): T => {
  const element = document.getElementById(id);
  if (!element) throw new Error(`page is missing #${id}`);
  return element as T;
};

/** The key lives in this tab only (sessionStorage), never in a cookie or on disk for long. */
const KEY_STORAGE = 'edgeplay.studio-key';

const signInForm = $<HTMLFormElement>('sign-in-form');
const keyInput = $<HTMLInputElement>('api-key');
const signInStatus = $('sign-in-status');
const signInSection = $('sign-in');
const studioSection = $('studio');
const studioName = $('studio-name');
const signOut = $<HTMLButtonElement>('sign-out');
const titlesTable = $<HTMLTableElement>('titles-table');
const titlesBody = $('titles-body');
const titlesEmpty = $('titles-empty');
const form = $<HTMLFormElement>('title-form');
const formHeading = $('form-heading');
const submit = $<HTMLButtonElement>('submit');
const cancelEdit = $<HTMLButtonElement>('cancel-edit');
const formStatus = $('form-status');
const formError = $('form-error');
const idInput = $<HTMLInputElement>('f-id');
const coverFile = $<HTMLInputElement>('f-cover-file');
const coverUrl = $<HTMLInputElement>('f-cover');
const coverPreview = $<HTMLImageElement>('cover-preview');
const keysList = $('keys');
const newKeyButton = $<HTMLButtonElement>('new-key');
const newKeyBox = $('new-key-box');
const newKeyValue = $('new-key-value');

const MeSchema = z.object({
  studio: StudioSchema,
  keys: z.array(ApiKeyInfoSchema.extend({ current: z.boolean() })),
});

let apiKey: string | undefined;
/** The title being edited; undefined while registering a new one. */
let editing: string | undefined;

const api = (method: string, path: string, call?: Parameters<typeof callApi>[3]): Promise<unknown> => {
  if (!apiKey) throw new ApiRequestError('UNAUTHORIZED', 'sign in first');
  return callApi(apiKey, method, path, call);
};

async function signIn(key: string): Promise<void> {
  apiKey = key;
  try {
    const me = MeSchema.parse(await api('GET', '/api/studio'));
    sessionStorage.setItem(KEY_STORAGE, key);
    studioName.textContent = me.studio.name;
    document.body.dataset.state = 'signed-in';
    signInSection.hidden = true;
    studioSection.hidden = false;
    signOut.hidden = false;
    signInStatus.textContent = '';
    showKeys(me.keys);
    await loadTitles();
  } catch (error) {
    apiKey = undefined;
    sessionStorage.removeItem(KEY_STORAGE);
    signInStatus.textContent =
      error instanceof ApiRequestError && error.code === 'UNAUTHORIZED'
        ? 'That key is not a live studio key. Check it, or ask for a new one.'
        : `Could not sign in: ${describe(error)}`;
  }
}

function describe(error: unknown): string {
  return error instanceof Error ? error.message : 'something went wrong';
}

async function loadTitles(): Promise<void> {
  const answer = z.object({ titles: z.array(StudioTitleSchema) }).parse(await api('GET', '/api/studio/titles'));
  titlesBody.replaceChildren(...answer.titles.map(titleRow));
  titlesTable.hidden = answer.titles.length === 0;
  titlesEmpty.hidden = answer.titles.length > 0;
}

function titleRow(title: StudioTitle): HTMLTableRowElement {
  const { manifest, play } = title;
  const row = document.createElement('tr');
  row.dataset.titleId = manifest.id;
  const cell = (...content: (Node | string)[]): HTMLTableCellElement => {
    const td = document.createElement('td');
    td.append(...content);
    row.append(td);
    return td;
  };
  const name = document.createElement('div');
  name.className = 'title-name';
  const label = document.createElement('strong');
  label.textContent = manifest.name;
  const id = document.createElement('small');
  id.className = 'muted';
  id.textContent = manifest.id;
  name.append(coverArt(manifest), label, id);
  cell(name).className = 'title-cell';
  cell(`${manifest.resolution.width}×${manifest.resolution.height} · ${manifest.fps} fps`);
  const offered = document.createElement('span');
  offered.className = title.offered ? 'badge online' : 'badge';
  offered.textContent = title.offered ? 'offered by a node' : 'no node offers it yet';
  cell(offered);
  cell(play.running ? `${play.sessions} (${play.running} playing now)` : String(play.sessions)).dataset.testid =
    'sessions';
  cell(`${play.playMinutes.toFixed(1)} min`).dataset.testid = 'play-minutes';
  const edit = document.createElement('button');
  edit.type = 'button';
  edit.className = 'secondary';
  edit.textContent = 'Edit';
  edit.setAttribute('aria-label', `Edit ${manifest.name}`);
  edit.addEventListener('click', () => startEditing(title));
  cell(edit);
  return row;
}

function startEditing(title: StudioTitle): void {
  editing = title.manifest.id;
  form.reset();
  fillTitleForm(form, title.manifest);
  idInput.readOnly = true;
  formHeading.textContent = `Edit ${title.manifest.name}`;
  submit.textContent = 'Save changes';
  cancelEdit.hidden = false;
  showCoverPreview(title.manifest.cover);
  clearFieldErrors(form);
  formError.textContent = '';
  formStatus.textContent = '';
  form.scrollIntoView({ behavior: 'smooth' });
}

function stopEditing(): void {
  editing = undefined;
  form.reset();
  idInput.readOnly = false;
  formHeading.textContent = 'Register a title';
  submit.textContent = 'Register title';
  cancelEdit.hidden = true;
  showCoverPreview(undefined);
  clearFieldErrors(form);
  formError.textContent = '';
}

function showCoverPreview(src: string | undefined): void {
  coverPreview.hidden = !src;
  if (src) coverPreview.src = src;
  else coverPreview.removeAttribute('src');
}

/** Uploads the chosen file, if any, and returns the cover to put in the manifest. */
async function coverForManifest(): Promise<string | undefined> {
  const file = coverFile.files?.[0];
  if (!file) return coverUrl.value.trim() || undefined;
  const answer = z.object({ cover: z.string() }).parse(await api('POST', '/api/studio/covers', { body: file }));
  coverUrl.value = answer.cover;
  coverFile.value = '';
  return answer.cover;
}

async function saveTitle(): Promise<void> {
  clearFieldErrors(form);
  formError.textContent = '';
  formStatus.textContent = 'Saving…';
  submit.disabled = true;
  try {
    let cover: string | undefined;
    try {
      cover = await coverForManifest();
    } catch (error) {
      // A refused image is the cover field's problem.
      if (error instanceof ApiRequestError)
        throw new ApiRequestError(error.code, error.message, [{ path: 'cover', message: error.message }]);
      throw error;
    }
    const manifest = readTitleForm(form, cover);
    const answer = z
      .object({ title: StudioTitleSchema })
      .parse(
        editing
          ? await api('PUT', `/api/studio/titles/${encodeURIComponent(editing)}`, { json: manifest })
          : await api('POST', '/api/studio/titles', { json: manifest }),
      );
    stopEditing();
    formStatus.textContent = `Saved ${answer.title.manifest.name}.`;
    await loadTitles();
  } catch (error) {
    formStatus.textContent = '';
    const issues = error instanceof ApiRequestError || error instanceof FormReadError ? error.issues : [];
    const unplaced = showFieldErrors(form, issues);
    formError.textContent = issues.length
      ? unplaced.length
        ? `Not saved: ${unplaced.map((issue) => `${issue.path || 'manifest'}: ${issue.message}`).join('; ')}`
        : 'Not saved: fix the fields marked in red.'
      : `Not saved: ${describe(error)}`;
    form.querySelector<HTMLElement>('.invalid input, .invalid textarea, .invalid select')?.focus();
  } finally {
    submit.disabled = false;
  }
}

function showKeys(keys: z.infer<typeof MeSchema>['keys']): void {
  keysList.replaceChildren(
    ...keys.map((key) => {
      const item = document.createElement('li');
      const label = document.createElement('span');
      label.textContent = `${key.keyId} · made ${new Date(key.createdAt).toLocaleString()}${key.current ? ' · this session' : ''}`;
      const revoke = document.createElement('button');
      revoke.type = 'button';
      revoke.className = 'secondary';
      revoke.textContent = 'Revoke';
      revoke.setAttribute('aria-label', `Revoke key ${key.keyId}`);
      revoke.addEventListener('click', () => void revokeKey(key.keyId, key.current));
      item.append(label, revoke);
      return item;
    }),
  );
}

async function revokeKey(keyId: string, current: boolean): Promise<void> {
  if (current && !window.confirm('This is the key you signed in with. Revoke it and sign out?')) return;
  try {
    await api('DELETE', `/api/studio/keys/${keyId}`);
    if (current) return leave();
    showKeys(MeSchema.parse(await api('GET', '/api/studio')).keys);
  } catch (error) {
    window.alert(`Could not revoke the key: ${describe(error)}`);
  }
}

function leave(): void {
  apiKey = undefined;
  sessionStorage.removeItem(KEY_STORAGE);
  document.body.dataset.state = 'signed-out';
  signInSection.hidden = false;
  studioSection.hidden = true;
  signOut.hidden = true;
  studioName.textContent = '';
  keyInput.value = '';
  newKeyBox.hidden = true;
}

signInForm.addEventListener('submit', (event) => {
  event.preventDefault();
  void signIn(keyInput.value.trim());
});
form.addEventListener('submit', (event) => {
  event.preventDefault();
  void saveTitle();
});
cancelEdit.addEventListener('click', () => stopEditing());
signOut.addEventListener('click', () => leave());
coverFile.addEventListener('change', () => {
  const file = coverFile.files?.[0];
  showCoverPreview(file ? URL.createObjectURL(file) : coverUrl.value.trim() || undefined);
});
newKeyButton.addEventListener('click', () => {
  void (async () => {
    try {
      const answer = z.object({ apiKey: z.string() }).parse(await api('POST', '/api/studio/keys'));
      newKeyValue.textContent = answer.apiKey;
      newKeyBox.hidden = false;
      showKeys(MeSchema.parse(await api('GET', '/api/studio')).keys);
    } catch (error) {
      window.alert(`Could not make a key: ${describe(error)}`);
    }
  })();
});

const remembered = sessionStorage.getItem(KEY_STORAGE);
if (remembered) void signIn(remembered);
