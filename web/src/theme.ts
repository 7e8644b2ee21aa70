// Light and dark: the system's choice (`prefers-color-scheme`) until the toggle makes one,
// which localStorage remembers. The theme is `data-theme` on <html>, read by style.css.
import { useEffect, useState } from 'preact/hooks';

export type Theme = 'light' | 'dark';

const KEY = 'uc-theme';
const DARK = '(prefers-color-scheme: dark)';

function chosen(): Theme | null {
  const stored = localStorage.getItem(KEY);
  return stored === 'light' || stored === 'dark' ? stored : null;
}

function system(): Theme {
  return matchMedia(DARK).matches ? 'dark' : 'light';
}

function apply(theme: Theme): Theme {
  document.documentElement.dataset.theme = theme;
  return theme;
}

/** Before the first render, so no page (sign-in included) is drawn in the other theme. */
export function startTheme(): void {
  apply(chosen() ?? system());
}

export function useTheme(): [Theme, () => void] {
  const [theme, setTheme] = useState<Theme>(() => chosen() ?? system());
  useEffect(() => {
    const media = matchMedia(DARK);
    const follow = () => {
      if (!chosen()) setTheme(apply(system()));
    };
    media.addEventListener('change', follow);
    return () => media.removeEventListener('change', follow);
  }, []);
  const toggle = () => {
    const next = theme === 'dark' ? 'light' : 'dark';
    localStorage.setItem(KEY, next);
    setTheme(apply(next));
  };
  return [theme, toggle];
}
