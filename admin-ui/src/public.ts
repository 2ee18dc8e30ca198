/**
 * What a plugin's admin page may import from the shell (`import { … } from 'authplane/admin-ui'`): the shared
 * elements (importing this module defines them), the API client and its errors, the controllers, typed events and
 * the shared styles. Anything else under admin-ui/src is the shell's own.
 */
export { api, AdminApi, type Page, type Query, type RequestOptions } from './api/client.js';
export { ApiError, NetworkError, type FieldError } from './api/problem.js';
export { ApiTask, type TaskStatus } from './controllers/task.js';
export { ListController, type ListOptions } from './controllers/list.js';
export { emit, type ApEvents } from './app/events.js';
export { define } from './app/define.js';
export { controls, effectiveTheme } from './styles/theme.js';
export { ApDataTable, type Column } from './components/ap-data-table/ap-data-table.js';
export { ApFormField, type FieldType } from './components/ap-form-field/ap-form-field.js';
export { ApDialog } from './components/ap-dialog/ap-dialog.js';
export { ApCopyButton } from './components/ap-copy-button/ap-copy-button.js';
export { ApEmptyState } from './components/ap-empty-state/ap-empty-state.js';
export { ApErrorState } from './components/ap-error-state/ap-error-state.js';
export { ApLoading } from './components/ap-loading/ap-loading.js';
export { ApIcon } from './components/ap-icon/ap-icon.js';
