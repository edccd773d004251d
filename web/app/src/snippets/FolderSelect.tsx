// A <select> of every folder of the library (and the root), for "Move to…" and "Save as".
import { useEffect, useState } from "react";
import { describeProblem } from "../api/problems";
import { allFolders, type FolderPath } from "./api";
import { withoutSubtree } from "./library";

export const ROOT_VALUE = "";

export function FolderSelect({
  id,
  value,
  onChange,
  exclude,
}: {
  id: string;
  value: string;
  onChange: (folderId: string) => void;
  /** A folder that may not be picked, with everything inside it (moving a folder). */
  exclude?: string;
}) {
  const [folders, setFolders] = useState<FolderPath[] | null>(null);
  const [problem, setProblem] = useState<string | null>(null);
  useEffect(() => {
    let live = true;
    allFolders()
      .then((found) => live && setFolders(found))
      .catch((error) => live && setProblem(describeProblem(error)));
    return () => {
      live = false;
    };
  }, []);
  const shown = folders ? withoutSubtree(folders, exclude) : [];
  return (
    <>
      <select
        id={id}
        value={value}
        disabled={folders === null}
        onChange={(event) => onChange(event.target.value)}
      >
        <option value={ROOT_VALUE}>Library (top level)</option>
        {shown.map((folder) => (
          <option key={folder.id} value={folder.id}>
            {folder.path}
          </option>
        ))}
      </select>
      {problem && <span className="field-error">{problem}</span>}
    </>
  );
}
