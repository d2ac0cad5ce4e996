/** Camera capture through getUserMedia, with plain messages where it is unavailable or refused. */
export class CameraError extends Error {
  override name = 'CameraError';
}

export async function openCamera(video: HTMLVideoElement): Promise<() => void> {
  if (!navigator.mediaDevices?.getUserMedia) {
    throw new CameraError(
      window.isSecureContext
        ? 'This browser has no camera access. Choose or drop a photo instead.'
        : 'The camera needs a secure page (https or localhost). Choose or drop a photo instead.',
    );
  }
  let stream: MediaStream;
  try {
    stream = await navigator.mediaDevices.getUserMedia({
      video: { facingMode: 'environment' },
      audio: false,
    });
  } catch (error) {
    const name = (error as DOMException).name;
    if (name === 'NotAllowedError' || name === 'SecurityError')
      throw new CameraError(
        'Camera permission was refused. Allow it in the browser, or choose a photo instead.',
      );
    if (name === 'NotFoundError' || name === 'OverconstrainedError')
      throw new CameraError('No camera was found on this device. Choose or drop a photo instead.');
    throw new CameraError(`The camera could not start (${(error as Error).message}).`);
  }
  video.srcObject = stream;
  await video.play().catch(() => undefined);
  return () => {
    for (const track of stream.getTracks()) track.stop();
    video.srcObject = null;
  };
}

/** The current video frame as a JPEG file, so both modes treat it like an upload. */
export async function captureFrame(video: HTMLVideoElement): Promise<File> {
  const canvas = document.createElement('canvas');
  canvas.width = video.videoWidth;
  canvas.height = video.videoHeight;
  const context = canvas.getContext('2d');
  if (!context || !canvas.width)
    throw new CameraError('The camera has no picture yet; try again in a moment.');
  context.drawImage(video, 0, 0);
  const blob = await new Promise<Blob | null>((resolve) => canvas.toBlob(resolve, 'image/jpeg', 0.92));
  if (!blob) throw new CameraError('Could not capture the camera picture.');
  const stamp = new Date().toISOString().slice(11, 19).replaceAll(':', '');
  return new File([blob], `camera-${stamp}.jpg`, { type: 'image/jpeg' });
}
