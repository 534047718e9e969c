// main.tsx: the console's entry point (a module script: the server's CSP allows no other).
import { render } from 'preact';
import { App } from './app';
import './theme.css';

render(<App />, document.getElementById('app')!);
