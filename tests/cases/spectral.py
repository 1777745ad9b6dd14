"""Cases of the audio spectrogram layers (MelSpectrogram, STFTSpectrogram).

These go through the shape, Functional and save/load checks too.
"""

from jaxlayers import layers
from tests.cases import LayerCase

_MEL = dict(fft_length=32, sequence_stride=16, num_mel_bins=6, sampling_rate=8000)

CASES = [
    # Decibels clip below the maximum of the whole batch (as in Keras): rows interact.
    LayerCase(layers.MelSpectrogram, _MEL, input_shapes=((2, 96),), n_params=0, n_state=0,
              batch_independent=False),
    LayerCase(layers.MelSpectrogram, dict(_MEL, sequence_length=24, window="hamming",
                                          power_to_db=False, mag_exp=1.0, max_freq=3000.0),
              input_shapes=((2, 80),), n_params=0, id="MelSpectrogram-magnitude"),
    LayerCase(layers.STFTSpectrogram, dict(frame_length=8, frame_step=4),
              input_shapes=((2, 32, 2),), n_params=2, n_state=0),
    LayerCase(layers.STFTSpectrogram, dict(mode="stft", frame_length=6, fft_length=8,
                                           window="hamming", periodic=True, padding="same",
                                           expand_dims=True, data_format="channels_first"),
              input_shapes=((2, 2, 30),), n_params=2, id="STFTSpectrogram-stft-first"),
    LayerCase(layers.STFTSpectrogram, dict(mode="real", frame_length=8, scaling="spectrum",
                                           expand_dims=True),
              input_shapes=((2, 24, 3),), n_params=1, id="STFTSpectrogram-real-expand"),
    LayerCase(layers.STFTSpectrogram, dict(mode="psd", frame_length=8, window=None,
                                           scaling=None, data_format="channels_first"),
              input_shapes=((2, 1, 24),), n_params=2, id="STFTSpectrogram-psd"),
]
