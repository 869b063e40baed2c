export * from './anvil.js';
export * from './artifacts.js';
export * from './deploy.js';
export * from './epoch-tree.js';
export * from './provider.js';
export * from './compile.js';
