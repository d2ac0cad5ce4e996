/** The ways a photo gets in: file picker, drag and drop anywhere on the page, and paste. */
export function attachPhotoInputs(options: {
  dropzone: HTMLElement;
  fileInput: HTMLInputElement;
  chooseButton: HTMLButtonElement;
  onFiles: (files: File[]) => void;
}): void {
  const { dropzone, fileInput, chooseButton, onFiles } = options;
  chooseButton.addEventListener('click', () => fileInput.click());
  fileInput.addEventListener('change', () => {
    const files = Array.from(fileInput.files ?? []);
    // Reset so choosing the same file again still fires `change`.
    fileInput.value = '';
    if (files.length) onFiles(files);
  });

  // Dropping anywhere works; without preventDefault the browser would navigate to the file.
  let depth = 0;
  const hasFiles = (event: DragEvent) => event.dataTransfer?.types.includes('Files') ?? false;
  document.addEventListener('dragenter', (event) => {
    if (!hasFiles(event)) return;
    depth++;
    dropzone.classList.add('dragging');
  });
  document.addEventListener('dragleave', () => {
    depth = Math.max(0, depth - 1);
    if (depth === 0) dropzone.classList.remove('dragging');
  });
  document.addEventListener('dragover', (event) => {
    if (hasFiles(event)) event.preventDefault();
  });
  document.addEventListener('drop', (event) => {
    if (!hasFiles(event)) return;
    event.preventDefault();
    depth = 0;
    dropzone.classList.remove('dragging');
    const files = Array.from(event.dataTransfer?.files ?? []);
    if (files.length) onFiles(files);
  });

  document.addEventListener('paste', (event) => {
    // Leave pastes into the API address field alone.
    if (event.target instanceof HTMLInputElement && event.target.type !== 'file') return;
    const files = Array.from(event.clipboardData?.files ?? []);
    if (!files.length) return;
    event.preventDefault();
    onFiles(files.map((f, i) => (f.name ? f : new File([f], `pasted-${i + 1}.png`, { type: f.type }))));
  });
}
