// Placeholder until the sidebar lands.
export interface SidebarProps {
  insert: (text: string) => void;
  openQuery: (title: string, sql: string) => void;
}

export function Sidebar(_props: SidebarProps) {
  return <nav className="sidebar" aria-label="Data" />;
}
