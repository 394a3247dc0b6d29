from rs3l_keras.backbones.rnn_backbone import RNNBackbone

__all__ = ["RNNBackbone"]
