"""Class-conditional denoising diffusion of image maps (DDPM training, DDIM sampling).

* :mod:`~sim2model.generative.schedule`: cosine noise schedule, forward noising, the DDIM step
  (NumPy only);
* :mod:`~sim2model.generative.denoiser`: the noise-predicting U-Net (Keras 3), conditioned on
  the time step (sinusoidal embedding) and the class (with a null class for classifier-free
  guidance);
* :mod:`~sim2model.generative.diffusion`: DDPM training (predict the noise) and seeded DDIM
  sampling with guidance. Import it after
  :func:`sim2model.train.backend.configure_backend`: it imports keras.
"""
