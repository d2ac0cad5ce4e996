document.body.append('Ferry web demo: coming soon');
